using System;
using System.Collections.Generic;
using System.Threading;
using LockOrder.Engine;
using LockOrder.Hierarchy;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace LockOrder.Rules;

/// <summary>
/// LOCK001: a lock acquired while a lock below it in the table is held, in this body or in anything it calls
/// (reported at the call, with the path). A sleeping lock taken under a spinlock is LOCK002's, not reported
/// twice; a try-lock cannot wait, so it cannot close a deadlock (lockdep does not record it either).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class DeclaredOrderAnalyzer : LockRuleAnalyzer
{
    public DeclaredOrderAnalyzer() : base(Descriptors.OutOfOrder)
    {
    }

    private protected override bool IsEnabled(LockModel model) => model.HasTable;

    private protected override void Analyze(LockModel model, BodyFacts body, Action<Diagnostic> report, CancellationToken cancellationToken)
    {
        foreach (var acquisition in body.Acquisitions)
        {
            var reported = new HashSet<LockClass>();
            foreach (var held in Violations(acquisition.Lock.Class, acquisition.IsTry, acquisition.Event.MayWait, acquisition.HeldBefore, droppedByCallee: null))
            {
                if (reported.Add(held.Class))
                {
                    report(Diagnostic.Create(Rule, OperationLocations.Of(acquisition.Operation), new[] { OperationLocations.Of(held.Site) },
                        acquisition.Lock.Class.Decl!.Display, held.Class.Decl!.Display, acquisition.Lock.Class.Decl.Name, "", $"'{held.Class.Decl.Name}'"));
                }
            }
        }

        var reportedAtCall = new HashSet<(IOperation, LockClass, LockClass)>();
        foreach (var (call, callee, summary) in CallsUnderLock(model, body, cancellationToken))
        {
            foreach (var acquire in summary.Acquires)
            {
                foreach (var held in Violations(acquire.Class, acquire.IsTry, acquire.MayWait, call.Held, acquire.Dropped))
                {
                    if (reportedAtCall.Add((call.Operation, acquire.Class, held.Class)))
                    {
                        report(Diagnostic.Create(Rule, OperationLocations.Of(call.Operation), Steps(held, callee.Prefix, acquire.Chain),
                            acquire.Class.Decl!.Display, held.Class.Decl!.Display, acquire.Class.Decl.Name, Via(callee.Prefix, acquire.Chain), $"'{held.Class.Decl.Name}'"));
                    }
                }
            }
        }
    }

    private static IEnumerable<HeldLock> Violations(LockClass taken, bool isTry, bool mayWait, System.Collections.Immutable.ImmutableArray<HeldLock> held, System.Collections.Immutable.ImmutableHashSet<LockClass>? droppedByCallee)
    {
        if (isTry || taken.Decl is not { } takenRow)
        {
            yield break;
        }

        foreach (var h in held)
        {
            if (h.Class.Decl is { } holding && holding.Row > takenRow.Row
                && !(h.Class.IsSpinlock && taken.Kind.MaySleep() && mayWait)
                && !(droppedByCallee?.Contains(h.Class) ?? false))
            {
                yield return h;
            }
        }
    }
}
