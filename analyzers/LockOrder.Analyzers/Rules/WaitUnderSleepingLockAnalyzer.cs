using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using LockOrder.Engine;
using LockOrder.Engine.Flow;
using LockOrder.Engine.Model;
using LockOrder.Engine.Queries;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace LockOrder.Rules;

/// <summary>
/// LOCK009 (opt-in): a blocking wait while a sleeping (mutex-class) lock is held, here or in a callee. Where a
/// spinlock is also held, LOCK002 reports it instead. Lock acquisitions are not waits for this rule.
/// </summary>
// Shipped inside BodyRulesAnalyzer, with the other per-body rules; a complete analyzer of its own for the tests.
#pragma warning disable RS1001 // No [DiagnosticAnalyzer]: the package's driver runs it through BodyRulesAnalyzer.
public sealed class WaitUnderSleepingLockAnalyzer : LockRuleAnalyzer
{
    public WaitUnderSleepingLockAnalyzer() : base(Descriptors.WaitUnderSleepingLock)
    {
    }

    private protected override void Analyze(LockModel model, BodyFacts body, Action<Diagnostic> report, CancellationToken cancellationToken)
    {
        foreach (var blocking in BlockingCalls.Of(model, body, SleepingLockOnly, (summary, held) => summary.WaitsUnder(held), cancellationToken))
        {
            report(Messages.WaitUnderSleepingLock(OperationLocations.Of(blocking.Site), blocking.What, blocking.Held, blocking.Chain));
        }
    }

    /// <summary>The innermost lock, when no spinlock is held.</summary>
    private static IEnumerable<HeldLock> SleepingLockOnly(ImmutableArray<HeldLock> held)
        => held.IsEmpty || held.Any(h => h.Class.IsSpinlock) ? Enumerable.Empty<HeldLock>() : new[] { held[held.Length - 1] };
}
#pragma warning restore RS1001
