using System;
using System.Collections.Generic;
using System.Threading;
using LockOrder.Engine;
using LockOrder.Engine.Flow;
using LockOrder.Engine.Model;
using LockOrder.Engine.Queries;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace LockOrder.Rules;

/// <summary>
/// LOCK010: a lock held while the object it is stored in may be freed (a reference put whose release may run, or a
/// method of the table's 'frees' list, directly or in a callee). The object is matched by access path: the same
/// local or parameter, or the same field chain from one.
/// </summary>
// Shipped inside BodyRulesAnalyzer, with the other per-body rules; a complete analyzer of its own for the tests.
#pragma warning disable RS1001 // No [DiagnosticAnalyzer]: the package's driver runs it through BodyRulesAnalyzer.
public sealed class HeldWhileFreedAnalyzer : LockRuleAnalyzer
{
    public HeldWhileFreedAnalyzer() : base(Descriptors.HeldWhileFreed)
    {
    }

    private protected override void Analyze(LockModel model, BodyFacts body, Action<Diagnostic> report, CancellationToken cancellationToken)
    {
        foreach (var call in body.Calls)
        {
            if (call.Held.IsEmpty)
            {
                continue;
            }

            var reported = new HashSet<HeldLock>();
            foreach (var (path, chain) in model.Summaries.FreedBy(call, cancellationToken))
            {
                foreach (var held in call.Held)
                {
                    if (path.Equals(held.Instance) && reported.Add(held))
                    {
                        report(Messages.HeldWhileFreed(OperationLocations.Of(call.Syntax), held, path, chain));
                    }
                }
            }
        }
    }
}
#pragma warning restore RS1001
