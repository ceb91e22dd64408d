using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
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
                var first = LockModel.BodyBlock(block.OperationBlocks);
                if (first is null)
                {
                    return;
                }

                try
                {
                    var facts = model.GetFacts(block.OwningSymbol, first, block.CancellationToken);
                    foreach (var body in facts.Bodies)
                    {
                        Analyze(model, body, block.ReportDiagnostic, block.CancellationToken);
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

    private protected abstract void Analyze(LockModel model, BodyFacts body, Action<Diagnostic> report, CancellationToken cancellationToken);

    /// <summary>Each call made while a lock is held, with every method it may run and that method's summary.</summary>
    private protected static IEnumerable<(CallFact Call, EffectiveCallee Callee, MethodSummary Summary)> CallsUnderLock(LockModel model, BodyFacts body, CancellationToken cancellationToken)
    {
        foreach (var call in body.Calls)
        {
            if (call.Held.IsEmpty)
            {
                continue;
            }

            foreach (var callee in model.Summaries.CalleesOf(call, cancellationToken))
            {
                yield return (call, callee, model.Summaries.Get(callee.Method, cancellationToken));
            }
        }
    }

    /// <summary>" (via A -> B -> C)" for a finding reached through calls.</summary>
    private protected static string Via(ImmutableArray<ChainStep> prefix, ImmutableArray<ChainStep> rest)
        => " (via " + ChainStep.Format(prefix.AddRange(rest)) + ")";

    /// <summary>Where the held lock was taken, then each step of the chain.</summary>
    private protected static IEnumerable<Location> Steps(HeldLock held, ImmutableArray<ChainStep> prefix, ImmutableArray<ChainStep> rest)
        => new[] { OperationLocations.Of(held.Site) }.Concat(prefix.Concat(rest).Select(s => s.Location).Where(l => l.IsInSource));
}
