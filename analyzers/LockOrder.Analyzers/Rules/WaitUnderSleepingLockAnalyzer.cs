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
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class WaitUnderSleepingLockAnalyzer : LockRuleAnalyzer
{
    public WaitUnderSleepingLockAnalyzer() : base(Descriptors.WaitUnderSleepingLock)
    {
    }

    private protected override void Analyze(LockModel model, BodyFacts body, Action<Diagnostic> report, CancellationToken cancellationToken)
    {
        foreach (var call in body.Calls)
        {
            if (call.Blocking is not null && SleepingLockOnly(call.Held) is { } held)
            {
                report(Messages.WaitUnderSleepingLock(OperationLocations.Of(call.Operation), $"'{call.Blocking}'", held, Chain.Empty));
            }
        }

        var reported = new HashSet<IOperation>();
        foreach (var (call, callee, summary) in OrderEdges.CallsUnderLock(model, body, cancellationToken))
        {
            if (call.Blocking is null && SleepingLockOnly(call.Held) is { } held && summary.WaitsUnder(held.Class) is { } wait && reported.Add(call.Operation))
            {
                report(Messages.WaitUnderSleepingLock(OperationLocations.Of(call.Operation), $"'{callee.Prefix.First.Text}'", held, callee.Prefix.Then(wait)));
            }
        }
    }

    private static HeldLock? SleepingLockOnly(ImmutableArray<HeldLock> held)
        => held.Any(h => h.Class.IsSpinlock) ? null : held.LastOrDefault();
}
