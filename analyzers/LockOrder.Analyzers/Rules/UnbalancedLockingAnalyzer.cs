using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using LockOrder.Engine;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace LockOrder.Rules;

/// <summary>
/// LOCK004: a lock held at the exit on some paths only, paths meeting with different locks held, or a release
/// of a lock that is not held. SemaphoreSlim releases are exempt: a counting semaphore may be released by
/// another owner. Bodies of declared primitives (wrappers meant to return holding a lock) are not analysed.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class UnbalancedLockingAnalyzer : LockRuleAnalyzer
{
    public UnbalancedLockingAnalyzer() : base(Descriptors.Unbalanced)
    {
    }

    private protected override void Analyze(LockModel model, BodyFacts body, Action<Diagnostic> report, CancellationToken cancellationToken)
    {
        var reportedSites = new HashSet<IOperation>();
        string name = body.Owner.Name.Length > 0 && !body.Owner.Name.StartsWith("<", StringComparison.Ordinal) ? $"'{body.Owner.Name}'" : "the lambda";
        foreach (var merge in body.Merges.OrderByDescending(m => m.AtExit))
        {
            foreach (var held in merge.OnSomePaths)
            {
                if (!reportedSites.Add(held.Site))
                {
                    continue;
                }

                string message = merge.AtExit
                    ? $"{held.Class.Display} is still held when {name} returns on some paths but not on others; release it on every path, or declare the method as a primitive in lockorder.json if it is meant to return holding the lock"
                    : $"{held.Class.Display} is held on some of the paths that meet at line {merge.Location.GetLineSpan().StartLinePosition.Line + 1} but not on others; take and release it on the same paths";
                report(Diagnostic.Create(Rule, OperationLocations.Of(held.Site), new[] { merge.Location }, message));
            }
        }

        // Held at the exit on every path: a wrapper meant to return holding the lock must be declared as a
        // primitive (its body is then not analysed). Counting semaphores are often taken here and released
        // elsewhere by design, so only their inconsistent paths are reported.
        foreach (var held in body.HeldAtExit)
        {
            if (held.Class.Primitive != LockPrimitive.SemaphoreSlim && reportedSites.Add(held.Site))
            {
                report(Diagnostic.Create(Rule, OperationLocations.Of(held.Site),
                    $"{held.Class.Display} is acquired here and still held when {name} returns; release it before returning, or declare {name} as an acquire wrapper in lockorder.json 'primitives'"));
            }
        }

        foreach (var release in body.Releases)
        {
            if (!release.WasHeld && release.Event.Lock.Class.Primitive != LockPrimitive.SemaphoreSlim)
            {
                report(Diagnostic.Create(Rule, OperationLocations.Of(release.Operation),
                    $"{release.Event.Lock.Class.Display} is released here but is not held on every path that reaches this release; release only what this method holds"));
            }
        }
    }
}
