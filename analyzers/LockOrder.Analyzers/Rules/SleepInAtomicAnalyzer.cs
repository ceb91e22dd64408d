using System;
using System.Linq;
using LockOrder.Engine;
using LockOrder.Hierarchy;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace LockOrder.Rules;

/// <summary>LOCK002: a call that may block or sleep, or a sleeping lock acquired, while a spinlock is held.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class SleepInAtomicAnalyzer : LockRuleAnalyzer
{
    public SleepInAtomicAnalyzer() : base(Descriptors.SleepInAtomic)
    {
    }

    private protected override void Analyze(LockModel model, BodyFacts body, Action<Diagnostic> report)
    {
        foreach (var call in body.Calls)
        {
            if (call.Blocking is not null && InnermostSpinlock(call.Held) is { } spin)
            {
                Report(report, call.Operation, $"'{call.Blocking}'", spin);
            }
        }

        foreach (var acquisition in body.Acquisitions)
        {
            var taken = acquisition.Lock.Class;
            if (acquisition.Event.MayWait && taken.Kind.MaySleep() && InnermostSpinlock(acquisition.HeldBefore) is { } spin)
            {
                Report(report, acquisition.Operation, $"acquiring {taken.Kind.Name()} {taken.Display}", spin);
            }
        }
    }

    private void Report(Action<Diagnostic> report, IOperation at, string what, HeldLock spin)
        => report(Diagnostic.Create(Rule, OperationLocations.Of(at), new[] { OperationLocations.Of(spin.Site) }, what, spin.Class.Display, "", spin.Class.Display));

    private static HeldLock? InnermostSpinlock(System.Collections.Immutable.ImmutableArray<HeldLock> held)
        => held.LastOrDefault(h => h.Class.IsSpinlock);
}
