using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using LockOrder.Engine.Model;
using LockOrder.Hierarchy;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;

namespace LockOrder.CodeFixes;

/// <summary>
/// LOCK005, "add to the table": adds a row for the lock to lockorder.json, with the name <c>Type-&gt;member</c>, the
/// kind of its primitive and its <c>symbol</c>, where the code's observed order puts it: below every row the code
/// takes it under, and, where that leaves a choice, above the rows the code takes under it. The file keeps its
/// formatting. Offered for a lock stored in a field or property, in a table read without problems.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AddTableRowFix)), Shared]
public sealed class AddTableRowFix : CodeFixProvider
{
    public const string EquivalenceKey = "LockOrder.AddTableRow";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.NotInTable);

    /// <summary>Rows are added one lock at a time (each place depends on the rows before it).</summary>
    public override FixAllProvider? GetFixAllProvider() => null;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        foreach (var diagnostic in context.Diagnostics)
        {
            var target = root?.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            var facts = target is null ? null : await EngineFacts.ForNodeAsync(context.Document, target, context.CancellationToken).ConfigureAwait(false);
            var acquisition = facts?.Body.Acquisitions.FirstOrDefault(a => target!.Span.Contains(a.Syntax.Span) || a.Syntax.Span.Contains(target!.Span));
            if (facts is null || acquisition?.Lock.Class is not { Decl: null, Identity: LockIdentity.Member { Symbol: var member } } lockClass
                || TableEdits.TableDocument(context.Document.Project, facts.Model) is not { } tableDocument)
            {
                continue;
            }

            var table = facts.Model.Table;
            var name = member.ContainingType.Name + "->" + member.Name;
            if (table.Locks.Any(l => l.Name == name))
            {
                continue;
            }

            int index = Place(facts, lockClass, context.CancellationToken);
            var row = $"{{ \"name\": \"{name}\", \"kind\": \"{lockClass.Kind.Name()}\", \"symbol\": \"{SymbolNames.Qualified(member.OriginalDefinition)}\" }}";
            var text = TableEdits.Insert(facts.Model.TableText!, table, index, row);
            context.RegisterCodeFix(CodeAction.Create($"Add '{name}' to lockorder.json (row {index + 1})", _ => TableEdits.WithTextAsync(tableDocument, text), EquivalenceKey), diagnostic);
        }
    }

    /// <summary>The 0-based row the lock goes to: just below the lowest row it is taken under, else just above the
    /// highest row taken under it, else last.</summary>
    private static int Place(EngineFacts facts, LockClass lockClass, CancellationToken cancellationToken)
    {
        int below = 0;
        int? above = null;
        foreach (var body in facts.Model.AllBodies(cancellationToken))
        {
            foreach (var edge in Engine.Queries.OrderEdges.Of(facts.Model, body, cancellationToken))
            {
                if (ReferenceEquals(edge.Taken, lockClass) && edge.Held.Class.Decl is { } heldRow)
                {
                    below = System.Math.Max(below, heldRow.Row);
                }
                else if (ReferenceEquals(edge.Held.Class, lockClass) && edge.Taken.Decl is { } takenRow)
                {
                    above = System.Math.Min(above ?? int.MaxValue, takenRow.Row - 1);
                }
            }
        }

        return below > 0 ? below : above ?? facts.Model.Table.Locks.Length;
    }
}
