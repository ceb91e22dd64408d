using System;
using System.Collections.Generic;
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
/// sleep happens inside a callee or a release callback, reported at the call with the path.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class SleepInAtomicAnalyzer : LockRuleAnalyzer
{
    public SleepInAtomicAnalyzer() : base(Descriptors.SleepInAtomic)
    {
    }

    private protected override void Analyze(LockModel model, BodyFacts body, Action<Diagnostic> report, CancellationToken cancellationToken)
    {
        foreach (var call in body.Calls)
        {
            if (call.Blocking is not null && InnermostSpinlock(call.Held) is { } spin)
            {
                report(Messages.SleepInAtomic(OperationLocations.Of(call.Operation), $"'{call.Blocking}'", spin, Chain.Empty));
            }
        }

        foreach (var acquisition in body.Acquisitions)
        {
            var taken = acquisition.Lock.Class;
            if (acquisition.Event.MayWait && taken.Kind.MaySleep() && InnermostSpinlock(acquisition.HeldBefore) is { } spin)
            {
                report(Messages.SleepInAtomic(OperationLocations.Of(acquisition.Operation), $"acquiring {taken.Kind.Name()} {taken.Display}", spin, Chain.Empty));
            }
        }

        var reported = new HashSet<IOperation>();
        foreach (var (call, callee, summary) in OrderEdges.CallsUnderLock(model, body, cancellationToken))
        {
            if (call.Blocking is not null || reported.Contains(call.Operation))
            {
                continue;
            }

            // The innermost spinlock the callee still holds when it sleeps (it may drop some first).
            foreach (var spin in call.Held.Reverse().Where(h => h.Class.IsSpinlock))
            {
                if (summary.SleepsUnder(spin.Class) is { } chain && reported.Add(call.Operation))
                {
                    report(Messages.SleepInAtomic(OperationLocations.Of(call.Operation), $"'{callee.Prefix.First.Text}'", spin, callee.Prefix.Then(chain)));
                }
            }
        }
    }

    private static HeldLock? InnermostSpinlock(ImmutableArray<HeldLock> held) => held.LastOrDefault(h => h.Class.IsSpinlock);
}
