using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using LockOrder.Engine;
using LockOrder.Hierarchy;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace LockOrder.Rules;

/// <summary>
/// LOCK002: a call that may block or sleep, or a sleeping lock acquired, while a spinlock is held; also when
/// the sleep happens inside a callee or a release callback, reported at the call with the path.
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
                report(Diagnostic.Create(Rule, OperationLocations.Of(call.Operation), new[] { OperationLocations.Of(spin.Site) },
                    $"'{call.Blocking}'", spin.Class.Display, "", spin.Class.Display));
            }
        }

        foreach (var acquisition in body.Acquisitions)
        {
            var taken = acquisition.Lock.Class;
            if (acquisition.Event.MayWait && taken.Kind.MaySleep() && InnermostSpinlock(acquisition.HeldBefore) is { } spin)
            {
                report(Diagnostic.Create(Rule, OperationLocations.Of(acquisition.Operation), new[] { OperationLocations.Of(spin.Site) },
                    $"acquiring {taken.Kind.Name()} {taken.Display}", spin.Class.Display, "", spin.Class.Display));
            }
        }

        var reported = new HashSet<IOperation>();
        foreach (var (call, callee, summary) in CallsUnderLock(model, body, cancellationToken))
        {
            if (call.Blocking is not null || reported.Contains(call.Operation))
            {
                continue;
            }

            // The innermost spinlock the callee still holds when it sleeps (it may drop some first).
            foreach (var spin in call.Held.Reverse().Where(h => h.Class.IsSpinlock))
            {
                var chain = summary.SleepsUnder(spin.Class);
                if (!chain.IsDefault && reported.Add(call.Operation))
                {
                    report(Diagnostic.Create(Rule, OperationLocations.Of(call.Operation), Steps(spin, callee.Prefix, chain),
                        $"'{callee.Prefix[0].Text}'", spin.Class.Display, Via(callee.Prefix, chain), spin.Class.Display));
                }
            }
        }
    }

    private static HeldLock? InnermostSpinlock(ImmutableArray<HeldLock> held) => held.LastOrDefault(h => h.Class.IsSpinlock);
}
