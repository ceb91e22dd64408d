using System;
using System.Collections.Immutable;
using LockOrder.Engine;
using LockOrder.Hierarchy;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace LockOrder.Rules;

/// <summary>
/// LOCK100-LOCK104: problems in lockorder.json itself, reported in the file (line and column) through an
/// additional-file action, so the IDE shows them live.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class LockTableAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        Descriptors.TableUnreadable, Descriptors.TableInvalidField, Descriptors.TableDuplicate, Descriptors.TableUnresolved, Descriptors.TableVacuousOrder);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var model = LockModel.For(start.Compilation, start.Options, start.CancellationToken);
            start.RegisterAdditionalFileAction(file =>
            {
                if (!LockModel.IsTableFile(file.AdditionalFile.Path))
                {
                    return;
                }

                if (!ReferenceEquals(file.AdditionalFile, model.TableFile))
                {
                    // The same file listed twice (by hand and by the package's props) is the table, reported once.
                    if (model.TableFile is { } table && !LockModel.SamePath(file.AdditionalFile.Path, table.Path))
                    {
                        file.ReportDiagnostic(Diagnostic.Create(Descriptors.TableUnreadable,
                            Location.Create(file.AdditionalFile.Path, default, default),
                            $"only one lockorder.json is read per project and '{table.Path}' is that one (set the LockOrderTable property to choose); this file is ignored"));
                    }

                    return;
                }

                var text = model.TableText;
                if (text is null)
                {
                    return;
                }

                foreach (var problem in model.Table.Problems)
                {
                    file.ReportDiagnostic(Create(problem, file.AdditionalFile.Path, text));
                }

                foreach (var problem in model.BindingProblems)
                {
                    file.CancellationToken.ThrowIfCancellationRequested();
                    file.ReportDiagnostic(Create(problem, file.AdditionalFile.Path, text));
                }
            });
        });
    }

    private static Diagnostic Create(TableProblem problem, string path, SourceText text)
    {
        var span = TextSpan.FromBounds(Math.Min(problem.Span.Start, text.Length), Math.Min(problem.Span.End, text.Length));
        return Diagnostic.Create(problem.Rule, Location.Create(path, span, text.Lines.GetLinePositionSpan(span)), problem.Args);
    }
}
