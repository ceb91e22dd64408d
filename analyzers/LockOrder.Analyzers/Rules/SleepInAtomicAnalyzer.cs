using System;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using LockOrder.Engine;
using LockOrder.Engine.Flow;
using LockOrder.Engine.Model;
using LockOrder.Engine.Queries;
using LockOrder.Hierarchy;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace LockOrder.Rules;

/// <summary>
/// LOCK002: a call that may block or sleep, or a sleeping lock acquired, while a spinlock is held; also when the
/// sleep happens inside a callee or a release callback, reported at the call with the path (under the innermost
/// spinlock the callee still holds when it sleeps: it may drop some first).
/// </summary>
// Shipped inside BodyRulesAnalyzer, with the other per-body rules; a complete analyzer of its own for the tests.
#pragma warning disable RS1001 // No [DiagnosticAnalyzer]: the package's driver runs it through BodyRulesAnalyzer.
public sealed class SleepInAtomicAnalyzer : LockRuleAnalyzer
{
    public SleepInAtomicAnalyzer() : base(Descriptors.SleepInAtomic)
    {
    }

    private protected override void Analyze(LockModel model, BodyFacts body, Action<Diagnostic> report, CancellationToken cancellationToken)
    {
        foreach (var blocking in BlockingCalls.UnderSpinlock(model, body, cancellationToken))
        {
            report(Messages.SleepInAtomic(OperationLocations.Of(blocking.Site), blocking.What, blocking.Held, blocking.Chain));
        }

        foreach (var (acquisition, spin) in BlockingCalls.SleepingLocksUnderSpinlock(body))
        {
            var taken = acquisition.Lock.Class;
            report(Messages.SleepInAtomic(OperationLocations.Of(acquisition.Syntax), $"acquiring {taken.Kind.Name()} {taken.Display}", spin, Chain.Empty));
        }
    }
}
#pragma warning restore RS1001
