using System;
using System.Linq;
using LockOrder.Engine;
using LockOrder.Hierarchy;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace LockOrder.Rules;

/// <summary>LOCK003: a non-reentrant lock class acquired while already held.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class SelfDeadlockAnalyzer : LockRuleAnalyzer
{
    public SelfDeadlockAnalyzer() : base(Descriptors.SelfDeadlock)
    {
    }

    private protected override void Analyze(LockModel model, BodyFacts body, Action<Diagnostic> report)
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
    }

    private static string Describe(LockClass lockClass) => lockClass.Primitive switch
    {
        LockPrimitive.SpinLock => "System.Threading.SpinLock",
        LockPrimitive.SemaphoreSlim => "SemaphoreSlim",
        LockPrimitive.ReaderWriterLockSlim => "ReaderWriterLockSlim (without LockRecursionPolicy.SupportsRecursion)",
        _ => "a " + lockClass.Kind.Name(),
    };
}
