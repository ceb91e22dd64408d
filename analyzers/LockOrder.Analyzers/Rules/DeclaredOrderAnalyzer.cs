using System;
using System.Collections.Generic;
using LockOrder.Engine;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace LockOrder.Rules;

/// <summary>LOCK001: a lock acquired while a lock below it in the table is held.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class DeclaredOrderAnalyzer : LockRuleAnalyzer
{
    public DeclaredOrderAnalyzer() : base(Descriptors.OutOfOrder)
    {
    }

    private protected override bool IsEnabled(LockModel model) => model.HasTable;

    private protected override void Analyze(LockModel model, BodyFacts body, Action<Diagnostic> report)
    {
        foreach (var acquisition in body.Acquisitions)
        {
            // A try-lock cannot wait, so it cannot close a deadlock: lockdep does not record it either.
            if (acquisition.IsTry || acquisition.Lock.Class.Decl is not { } taken)
            {
                continue;
            }

            var reported = new HashSet<LockClass>();
            foreach (var held in acquisition.HeldBefore)
            {
                if (held.Class.Decl is { } holding && holding.Row > taken.Row && reported.Add(held.Class))
                {
                    report(Diagnostic.Create(Rule, OperationLocations.Of(acquisition.Operation), new[] { OperationLocations.Of(held.Site) },
                        taken.Display, holding.Display, taken.Name, "", $"'{holding.Name}'"));
                }
            }
        }
    }
}
