using System;
using System.Linq;
using System.Threading;
using LockOrder.Engine;
using LockOrder.Engine.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace LockOrder.Rules;

/// <summary>LOCK007: an await while a lock is held (other than a semaphore taken with WaitAsync).</summary>
// Shipped inside BodyRulesAnalyzer, with the other per-body rules; a complete analyzer of its own for the tests.
#pragma warning disable RS1001 // No [DiagnosticAnalyzer]: the package's driver runs it through BodyRulesAnalyzer.
public sealed class AwaitUnderLockAnalyzer : LockRuleAnalyzer
{
    public AwaitUnderLockAnalyzer() : base(Descriptors.AwaitUnderLock)
    {
    }

    private protected override void Analyze(LockModel model, BodyFacts body, Action<Diagnostic> report, CancellationToken cancellationToken)
    {
        foreach (var awaitFact in body.Awaits)
        {
            var held = awaitFact.Held.Where(h => !h.AcquiredAsync).ToList();
            if (held.Count > 0)
            {
                report(Messages.AwaitUnderLock(awaitFact.Syntax, held));
            }
        }
    }
}
#pragma warning restore RS1001
