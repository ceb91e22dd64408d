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
            var held = acquisition.IsTry ? null : acquisition.HeldBefore.FirstOrDefault(h => ReferenceEquals(h.Class, taken));
            if (held is null)
            {
                continue;
            }

            // Two known, different instances of one class (a parent then its child): a recursion question.
            // Allowed when the table marks the class nestable (lockdep's _nested); otherwise reported even
            // for a reentrant primitive, since another thread can nest them the other way round.
            bool otherInstance = held.Instance is { } h && acquisition.Lock.Instance is { } a && h != a
                && !h.StartsWith("stale:", StringComparison.Ordinal);
            if (otherInstance ? taken.Decl?.Nestable == true : taken.Reentrant)
            {
                continue;
            }

            report(Diagnostic.Create(Rule, OperationLocations.Of(acquisition.Operation), new[] { OperationLocations.Of(held.Site) },
                taken.Display, otherInstance ? $" on another instance ('{Path(acquisition.Lock.Instance!)}' while '{Path(held.Instance!)}' is held)" : "",
                otherInstance ? "one lock class nested in itself can deadlock against a thread nesting the other way (mark its row 'nestable' if instances always nest in one order)" : Describe(taken)));
        }

        var reported = new HashSet<(IOperation, LockClass)>();
        foreach (var (call, callee, summary) in CallsUnderLock(model, body, cancellationToken))
        {
            foreach (var acquire in summary.Acquires)
            {
                var taken = acquire.Class;
                if (acquire.IsTry || taken.Reentrant || acquire.Dropped.Contains(taken))
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

    private static string Path(string instance) => instance.StartsWith("p:", StringComparison.Ordinal) || instance.StartsWith("l:", StringComparison.Ordinal) ? instance.Substring(2) : instance;

    private static string Describe(LockClass lockClass) => lockClass.Primitive switch
    {
        LockPrimitive.SpinLock => "System.Threading.SpinLock",
        LockPrimitive.SemaphoreSlim => "SemaphoreSlim",
        LockPrimitive.ReaderWriterLockSlim => "ReaderWriterLockSlim (without LockRecursionPolicy.SupportsRecursion)",
        _ => "a " + lockClass.Kind.Name(),
    } + " is not reentrant, so this deadlocks";
}
