using System.Collections.Immutable;
using System.Linq;
using LockOrder.Engine;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace LockOrder.Rules;

/// <summary>
/// LOCK106: an option value LockOrder cannot use (see <see cref="Hierarchy.LockOptions"/>). A value from an
/// .editorconfig section is reported at the first token of a file it applies to (the file whose section set it, or the
/// file whose section disagrees); a project-wide value (.globalconfig) without a location, with the first file.
/// Both through a syntax-tree action: live in the IDE.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class OptionsAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.InvalidOption);

    /// <summary>The file's first token (where a file-wide suppression already applies), or its start.</summary>
    private static Location FirstToken(SyntaxTree tree, System.Threading.CancellationToken cancellationToken)
        => tree.GetRoot(cancellationToken).GetFirstToken(includeZeroWidth: false) is { RawKind: not 0 } token ? token.GetLocation() : Location.Create(tree, default);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var model = LockModel.For(start.Compilation, start.Options, start.CancellationToken);
            if (model.OptionProblems.IsEmpty)
            {
                return;
            }

            var first = start.Compilation.SyntaxTrees.FirstOrDefault();
            start.RegisterSyntaxTreeAction(tree =>
            {
                foreach (var problem in model.OptionProblems)
                {
                    if (problem.Tree == tree.Tree)
                    {
                        tree.ReportDiagnostic(Messages.InvalidOption(problem, FirstToken(tree.Tree, tree.CancellationToken)));
                    }
                    else if (problem.Tree is null && tree.Tree == first)
                    {
                        tree.ReportDiagnostic(Messages.InvalidOption(problem, Location.None));
                    }
                }
            });
        });
    }
}
