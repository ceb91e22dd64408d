using System;
using System.Collections.Immutable;
using System.Linq;
using LockOrder.Engine;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace LockOrder.Rules;

/// <summary>
/// The base of every per-body rule: registers one operation-block action (live in the IDE, no CompilationEnd),
/// asks the shared <see cref="LockModel"/> for the body's facts, and lets the rule read them.
/// </summary>
public abstract class LockRuleAnalyzer : DiagnosticAnalyzer
{
    private protected LockRuleAnalyzer(DiagnosticDescriptor rule) => SupportedDiagnostics = ImmutableArray.Create(rule);

    public sealed override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; }

    private protected DiagnosticDescriptor Rule => SupportedDiagnostics[0];

    public sealed override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var model = LockModel.For(start.Compilation, start.Options, start.CancellationToken);
            if (!IsEnabled(model))
            {
                return;
            }

            start.RegisterOperationBlockAction(block =>
            {
                var first = block.OperationBlocks.FirstOrDefault();
                if (first is null)
                {
                    return;
                }

                try
                {
                    var facts = model.GetFacts(block.OwningSymbol, first, block.CancellationToken);
                    foreach (var body in facts.Bodies)
                    {
                        Analyze(model, body, block.ReportDiagnostic);
                    }
                }
                catch (Exception ex) when (!(ex is OperationCanceledException))
                {
                    // As vs-threading does: rethrow with the place, so the AD0001 report says where it happened.
                    var where = first.Syntax.GetLocation().GetLineSpan();
                    throw new InvalidOperationException($"{Rule.Id} failed on {block.OwningSymbol.ToDisplayString()} at {where.Path}({where.StartLinePosition.Line + 1}): {ex.GetType().Name}: {ex.Message}", ex);
                }
            });
        });
    }

    /// <summary>Rules that need the table return false when there is none.</summary>
    private protected virtual bool IsEnabled(LockModel model) => true;

    private protected abstract void Analyze(LockModel model, BodyFacts body, Action<Diagnostic> report);
}
