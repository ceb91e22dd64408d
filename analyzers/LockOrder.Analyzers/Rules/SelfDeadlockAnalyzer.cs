using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using LockOrder.Engine;
using LockOrder.Hierarchy;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace LockOrder.Rules;

/// <summary>LOCK003: a non-reentrant lock class acquired while already held, here or in a callee.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class SelfDeadlockAnalyzer : LockRuleAnalyzer
{
    public SelfDeadlockAnalyzer() : base(Descriptors.SelfDeadlock)
    {
    }

    private protected override void Analyze(LockModel model, BodyFacts body, Action<Diagnostic> report, CancellationToken cancellationToken)
    {
        foreach (var acquisition in body.Acquisitions)
        {
            var taken = acquisition.Lock.Class;
            if (acquisition.IsTry || taken.Reentrant)
            {
                continue;
            }

            var held = acquisition.HeldBefore.FirstOrDefault(h => ReferenceEquals(h.Class, taken));
            if (held is not null)
            {
                report(Diagnostic.Create(Rule, OperationLocations.Of(acquisition.Operation), new[] { OperationLocations.Of(held.Site) },
                    taken.Display, "", Describe(taken)));
            }
        }

        var reported = new HashSet<(IOperation, LockClass)>();
        foreach (var (call, callee, summary) in CallsUnderLock(model, body, cancellationToken))
        {
            foreach (var acquire in summary.Acquires)
            {
                var taken = acquire.Class;
                if (acquire.IsTry || taken.Reentrant || summary.ReleasesUnheld.Contains(taken))
                {
                    continue;
                }

                var held = call.Held.FirstOrDefault(h => ReferenceEquals(h.Class, taken));
                if (held is not null && reported.Add((call.Operation, taken)))
                {
                    report(Diagnostic.Create(Rule, OperationLocations.Of(call.Operation), Steps(held, callee.Prefix, acquire.Chain),
                        taken.Display, Via(callee.Prefix, acquire.Chain), Describe(taken)));
                }
            }
        }
    }

    private static string Describe(LockClass lockClass) => lockClass.Primitive switch
    {
        LockPrimitive.SpinLock => "System.Threading.SpinLock",
        LockPrimitive.SemaphoreSlim => "SemaphoreSlim",
        LockPrimitive.ReaderWriterLockSlim => "ReaderWriterLockSlim (without LockRecursionPolicy.SupportsRecursion)",
        _ => "a " + lockClass.Kind.Name(),
    };
}
