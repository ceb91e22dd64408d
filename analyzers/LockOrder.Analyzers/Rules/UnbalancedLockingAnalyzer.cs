using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using LockOrder.Engine;
using LockOrder.Engine.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace LockOrder.Rules;

/// <summary>
/// LOCK004: a lock held at the exit on some paths only, paths meeting with different locks held, or a release of a
/// lock that is not held. Primitives another owner may release (counting semaphores) are exempt from the last two.
/// Bodies of declared primitives (wrappers meant to return holding a lock) are not analysed.
/// </summary>
// Shipped inside BodyRulesAnalyzer, with the other per-body rules; a complete analyzer of its own for the tests.
#pragma warning disable RS1001 // No [DiagnosticAnalyzer]: the package's driver runs it through BodyRulesAnalyzer.
public sealed class UnbalancedLockingAnalyzer : LockRuleAnalyzer
{
    public UnbalancedLockingAnalyzer() : base(Descriptors.Unbalanced)
    {
    }

    private protected override void Analyze(LockModel model, BodyFacts body, Action<Diagnostic> report, CancellationToken cancellationToken)
    {
        var reportedSites = new HashSet<SyntaxNode>();
        string name = body.Owner.Name.Length > 0 && !body.Owner.Name.StartsWith("<", StringComparison.Ordinal) ? $"'{body.Owner.Name}'" : "the lambda";
        foreach (var merge in body.Merges.OrderByDescending(m => m.AtExit))
        {
            foreach (var held in merge.OnSomePaths)
            {
                if (reportedSites.Add(held.Site))
                {
                    report(merge.AtExit ? Messages.HeldOnSomeExits(held, merge.Location, name) : Messages.HeldOnSomePaths(held, merge.Location));
                }
            }
        }

        // Held at the exit on every path: a wrapper meant to return holding the lock must be declared as a primitive
        // (its body is then not analysed). Semaphores are often taken here and released elsewhere by design, so only
        // their inconsistent paths are reported.
        foreach (var held in body.HeldAtExit)
        {
            if (!held.Class.Api.ReleasedByOthers && reportedSites.Add(held.Site))
            {
                report(Messages.HeldAtExit(held, name));
            }
        }

        foreach (var release in body.Releases)
        {
            if (!release.WasHeld && !release.Event.Lock.Class.Api.ReleasedByOthers)
            {
                report(Messages.ReleasedWhenNotHeld(release.Syntax, release.Event.Lock.Class));
            }
        }
    }
}
#pragma warning restore RS1001
