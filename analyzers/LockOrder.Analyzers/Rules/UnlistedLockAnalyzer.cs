using System;
using System.Threading;
using LockOrder.Engine;
using LockOrder.Engine.Flow;
using LockOrder.Engine.Queries;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace LockOrder.Rules;

/// <summary>LOCK005: a lock acquired in code that no row of the table binds (only when a table is present).</summary>
// Shipped inside BodyRulesAnalyzer, with the other per-body rules; a complete analyzer of its own for the tests.
#pragma warning disable RS1001 // No [DiagnosticAnalyzer]: the package's driver runs it through BodyRulesAnalyzer.
public sealed class UnlistedLockAnalyzer : LockRuleAnalyzer
{
    public UnlistedLockAnalyzer() : base(Descriptors.NotInTable)
    {
    }

    private protected override bool IsEnabled(LockModel model) => model.HasTable;

    private protected override void Analyze(LockModel model, BodyFacts body, Action<Diagnostic> report, CancellationToken cancellationToken)
    {
        foreach (var acquisition in body.Acquisitions)
        {
            if (acquisition.Lock.Class.Decl is null)
            {
                report(Messages.NotInTable(OperationLocations.Of(acquisition.Syntax), acquisition.Lock.Class));
            }
        }
    }
}
#pragma warning restore RS1001
