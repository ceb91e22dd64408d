using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using LockOrder.Engine;
using LockOrder.Engine.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace LockOrder.Rules;

/// <summary>
/// The base of every rule that reads the engine's facts: registers one code-block action per compilation
/// (live in the IDE, no CompilationEnd), asks the shared <see cref="LockModel"/> for the body's facts, and lets the
/// rule read them; a whole-compilation rule adds an end action (<see cref="CompilationRun"/>). Any exception is
/// rethrown with the rule, the member and the place, as vs-threading does, so the AD0001 report says where.
/// <para>
/// Each rule is a complete analyzer (a test runs one alone), but the per-body rules ship together in one,
/// <see cref="BodyRulesAnalyzer"/>: the analyzer driver's own cost for every code block is paid once per analyzer,
/// and eleven analyzers that each see every code block cost a build more than one that hands each block to eleven
/// rules.
/// </para>
/// </summary>
public abstract class LockRuleAnalyzer : DiagnosticAnalyzer
{
    private protected LockRuleAnalyzer(DiagnosticDescriptor rule) => SupportedDiagnostics = ImmutableArray.Create(rule);

    public sealed override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; }

    private protected DiagnosticDescriptor Rule => SupportedDiagnostics[0];

    public sealed override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCode);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start => Register(start, new[] { this }));
    }

    /// <summary>
    /// Generated code is not analysed. A per-body rule reports only inside the code block the driver gave it, and the
    /// driver gives none in generated code (a generated file, or a member of a type marked <c>[GeneratedCode]</c>), so
    /// its findings are never in generated code; letting the driver check each of them again
    /// (<see cref="GeneratedCodeAnalysisFlags.ReportDiagnostics"/> unset) made it read every token of the tree of the first
    /// finding in each tree, looking for <c>GeneratedCode</c> attributes: a tenth of LockOrder's time on a keystroke in a
    /// document with a finding. <see cref="InBlock"/> keeps the promise. A rule that reports elsewhere (the cycle rule,
    /// at compilation end) keeps the driver's check.
    /// </summary>
    internal const GeneratedCodeAnalysisFlags PerBodyGeneratedCode = GeneratedCodeAnalysisFlags.ReportDiagnostics;

    private protected virtual GeneratedCodeAnalysisFlags GeneratedCode => PerBodyGeneratedCode;

    /// <summary>
    /// Registers what <paramref name="rules"/> need on one compilation: one code-block action that gives each body's
    /// facts to every rule that is on, and the end actions of whole-compilation rules. A rule alone (a test) and the
    /// rules together (<see cref="BodyRulesAnalyzer"/>, what ships) run the same code.
    /// </summary>
    internal static void Register(CompilationStartAnalysisContext start, IReadOnlyList<LockRuleAnalyzer> rules)
    {
        var model = LockModel.For(start.Compilation, start.Options, start.CancellationToken);
        var runs = new List<(LockRuleAnalyzer Rule, CompilationRun Run)>();
        foreach (var rule in rules)
        {
            // A rule that is off everywhere (by default, as LOCK009, or by the project's settings) is not run: the
            // driver would drop its findings, but only after the rule had paid for them (see RuleSwitch).
            if (rule.IsEnabled(model) && RuleSwitch.MayReport(rule.Rule, start.Compilation, start.Options, start.CancellationToken))
            {
                runs.Add((rule, rule.Start(model)));
            }
        }

        if (runs.Count == 0)
        {
            return;
        }

        // A code-block action, not an operation-block one: the driver then binds nothing for us, and a body
        // is bound only when its syntax says it may matter (most bodies of a project are never bound twice).
        start.RegisterCodeBlockAction(block =>
        {
            // Most code blocks stop at the syntax filter (decided once per tree, read without a lock): checked here
            // too, before any allocation, and again in BodiesToAnalyze, which owns the order of the steps.
            if (block.OwningSymbol is not IMethodSymbol method || !LockModel.HasBodySyntax(block.CodeBlock)
                || !model.Filter.MayMatter(block.CodeBlock, block.CancellationToken))
            {
                return;
            }

            var bodies = Guard(runs[0].Rule, method, block.CodeBlock, () => model.BodiesToAnalyze(method, block.CodeBlock, block.SemanticModel, block.CancellationToken));
            var codeBlock = block.CodeBlock;
            var reportInBlock = block.ReportDiagnostic;
            void report(Diagnostic diagnostic) => reportInBlock(InBlock(diagnostic, codeBlock));
            // A rule that fails does not keep the others from reporting on the body (as separate analyzers would
            // not): the first failure is rethrown once every rule has run.
            Exception? failed = null;
            foreach (var (rule, run) in runs)
            {
                try
                {
                    Guard(rule, method, block.CodeBlock, () =>
                    {
                        foreach (var body in bodies)
                        {
                            run.Body(body, report, block.CancellationToken);
                        }

                        return true;
                    });
                }
                catch (InvalidOperationException ex)
                {
                    failed ??= ex; // Guard's report, naming the rule and the place.
                }
            }

            if (failed is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failed).Throw();
            }
        });

        foreach (var (rule, run) in runs)
        {
            if (run.HasEnd)
            {
                start.RegisterCompilationEndAction(end => Guard(rule, start.Compilation.Assembly, null, () =>
                {
                    run.End(end.ReportDiagnostic, end.CancellationToken);
                    return true;
                }));
            }
        }
    }

    /// <summary>
    /// A per-body finding where the driver's generated-code decision for the block covers it (see
    /// <see cref="PerBodyGeneratedCode"/>): in the block's span, or in no source at all. The rules report at syntax of
    /// the body they were given, so this returns the diagnostic unchanged; were a rule ever to point elsewhere, the
    /// finding is moved to the block's own location, its message and the place it meant kept (as the first additional
    /// location), rather than shown in code that may be generated.
    /// </summary>
    internal static Diagnostic InBlock(Diagnostic diagnostic, SyntaxNode block)
    {
        var location = diagnostic.Location;
        if (!location.IsInSource || (location.SourceTree == block.SyntaxTree && block.FullSpan.Contains(location.SourceSpan)))
        {
            return diagnostic;
        }

        var d = diagnostic.Descriptor;
        return Diagnostic.Create(d.Id, d.Category, diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture), diagnostic.Severity, d.DefaultSeverity,
            d.IsEnabledByDefault, diagnostic.WarningLevel, d.Title, d.Description, d.HelpLinkUri, block.GetLocation(),
            new[] { location }.Concat(diagnostic.AdditionalLocations), d.CustomTags, diagnostic.Properties);
    }

    /// <summary>Rules that need the table return false when there is none.</summary>
    private protected virtual bool IsEnabled(LockModel model) => true;

    /// <summary>A rule's work for one compilation: per body by default; a whole-compilation rule overrides this.</summary>
    private protected virtual CompilationRun Start(LockModel model) => new PerBody(this, model);

    /// <summary>What a per-body rule reports for one body's facts (a whole-compilation rule overrides <see cref="Start"/>
    /// instead).</summary>
    private protected virtual void Analyze(LockModel model, BodyFacts body, Action<Diagnostic> report, CancellationToken cancellationToken)
    {
    }

    /// <summary>Runs a rule's step; any exception but cancellation is rethrown naming the rule, the member and the
    /// place (vs-threading's pattern), so the AD0001 report says where.</summary>
    /// <param name="where">The code block, whose place the report names (its location is made only then).</param>
    private static T Guard<T>(LockRuleAnalyzer rule, ISymbol symbol, SyntaxNode? where, Func<T> action)
    {
        try
        {
            return action();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            var line = where?.GetLocation().GetLineSpan();
            var place = line is { } span ? $" at {span.Path}({span.StartLinePosition.Line + 1})" : "";
            throw new InvalidOperationException($"{rule.Rule.Id} failed on {symbol.ToDisplayString()}{place}: {ex.GetType().Name}: {ex.Message}", ex);
        }
    }

    /// <summary>One rule's work on one compilation: each body, then (for whole-compilation rules) the end.</summary>
    private protected abstract class CompilationRun
    {
        public virtual bool HasEnd => false;

        public abstract void Body(BodyFacts body, Action<Diagnostic> report, CancellationToken cancellationToken);

        public virtual void End(Action<Diagnostic> report, CancellationToken cancellationToken)
        {
        }
    }

    private sealed class PerBody : CompilationRun
    {
        private readonly LockRuleAnalyzer _rule;
        private readonly LockModel _model;

        public PerBody(LockRuleAnalyzer rule, LockModel model)
        {
            _rule = rule;
            _model = model;
        }

        public override void Body(BodyFacts body, Action<Diagnostic> report, CancellationToken cancellationToken)
            => _rule.Analyze(_model, body, report, cancellationToken);
    }
}
