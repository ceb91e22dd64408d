using System;
using System.Threading;
using LockOrder.Engine;
using LockOrder.Engine.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace LockOrder.Rules;

/// <summary>
/// LOCK105: a project that takes locks and has no lockorder.json is told, once, that the declared-order rules are
/// off and how to turn them on. Reported with the first body that takes a lock (live, no compilation end); it has
/// no location, so which body that is does not show.
/// </summary>
// Shipped inside BodyRulesAnalyzer, with the other per-body rules; a complete analyzer of its own for the tests.
#pragma warning disable RS1001 // No [DiagnosticAnalyzer]: the package's driver runs it through BodyRulesAnalyzer.
public sealed class MissingTableAnalyzer : LockRuleAnalyzer
{
    public MissingTableAnalyzer() : base(Descriptors.NoTable)
    {
    }

    private protected override bool IsEnabled(LockModel model) => model.TableFile is null;

    private protected override CompilationRun Start(LockModel model) => new Run();

    private sealed class Run : CompilationRun
    {
        // Per analysis run (a build, an IDE pass), not per compilation: a second run over the same compilation says it again.
        private int _reported;

        public override void Body(BodyFacts body, Action<Diagnostic> report, CancellationToken cancellationToken)
        {
            if (!body.Acquisitions.IsEmpty && Interlocked.Exchange(ref _reported, 1) == 0)
            {
                report(Messages.NoTable());
            }
        }
    }
}
#pragma warning restore RS1001
