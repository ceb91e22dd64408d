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
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;

namespace LockOrder.CodeFixes;

/// <summary>
/// LOCK001, "take them in table order", two ways:
/// <list type="bullet">
/// <item>Swap the two acquisitions in the code, when they are directly nested with nothing between them:
/// <c>lock (b) { lock (a) { ... } }</c> with the inner lock the outer one's only statement, or
/// <c>b.Lock(); a.Lock(); ... a.Unlock(); b.Unlock();</c> with both pairs adjacent in one block and no other
/// release of either between; and neither lock expression reads a member the other lock protects.</item>
/// <item>When the code's order is the intended one: move the held lock's row just above the taken lock's row in
/// lockorder.json. Offered only if no order edge in the compilation goes against the new order (a lock of a row
/// it passes, taken while the moved lock is held). A decision per pair of locks: it has no Fix All.</item>
/// </list>
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(TableOrderFix)), Shared]
public sealed class TableOrderFix : CodeFixProvider
{
    public const string SwapKey = "LockOrder.TableOrder.Swap";
    public const string MoveRowKey = "LockOrder.TableOrder.MoveRow";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.OutOfOrder);

    /// <summary>Fix All swaps; moving rows of the table is decided one pair at a time.</summary>
    public override FixAllProvider GetFixAllProvider() => SequentialFixAll.Create(SwapPlanAsync, SequentialFixAll.Node, SwapKey);

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return;
        }

        foreach (var diagnostic in context.Diagnostics)
        {
            if (diagnostic.AdditionalLocations.Count == 0)
            {
                continue;
            }

            var target = SequentialFixAll.Node(root, diagnostic);
            var held = SequentialFixAll.Related(root, diagnostic);
            if (await SwapPlanAsync(context.Document, target, held, context.CancellationToken).ConfigureAwait(false) is { } swap)
            {
                context.RegisterCodeFix(CodeAction.Create(swap.Title, swap.ApplyAsync, SwapKey), diagnostic);
            }

            if (await MoveRowAsync(context.Document, diagnostic, target, context.CancellationToken).ConfigureAwait(false) is { } move)
            {
                context.RegisterCodeFix(move, diagnostic);
            }
        }
    }

    internal static async Task<SequentialFixAll.Plan?> SwapPlanAsync(Document document, SyntaxNode target, SyntaxNode heldNode, CancellationToken cancellationToken)
    {
        var facts = await EngineFacts.ForNodeAsync(document, target, cancellationToken).ConfigureAwait(false);
        if (facts is null)
        {
            return null;
        }

        var taken = facts.Body.Acquisitions.FirstOrDefault(a => target.Span.Contains(a.Syntax.Span) || a.Syntax.Span.Contains(target.Span));
        var held = taken?.HeldBefore.FirstOrDefault(h => Engine.Queries.OperationLocations.Of(h.Site).SourceSpan == Engine.Queries.OperationLocations.Of(heldNode).SourceSpan);
        if (taken is null || held is null)
        {
            return null;
        }

        var takenSyntax = Statement(taken.Syntax);
        var heldSyntax = Statement(held.Site);
        if (takenSyntax is null || heldSyntax is null || ReadsProtected(takenSyntax, held.Class, facts, cancellationToken) || ReadsProtected(heldSyntax, taken.Lock.Class, facts, cancellationToken))
        {
            return null;
        }

        var title = $"Take {taken.Lock.Class.Display} before {held.Class.Display}";
        var root = target.SyntaxTree.GetRoot(cancellationToken);
        if (takenSyntax is LockStatementSyntax inner && heldSyntax is LockStatementSyntax outer
            && (inner.Parent == outer || inner.Parent is BlockSyntax { Statements.Count: 1 } only && only.Parent == outer))
        {
            return new SequentialFixAll.Plan(title, _ =>
            {
                var body = outer.Statement.ReplaceNode(inner, inner.WithExpression(outer.Expression));
                return Task.FromResult(document.WithSyntaxRoot(root.ReplaceNode(outer, outer.WithExpression(inner.Expression).WithStatement(body))));
            });
        }

        if (takenSyntax is ExpressionStatementSyntax takenStatement && heldSyntax is ExpressionStatementSyntax heldStatement
            && heldStatement.Parent is BlockSyntax block && takenStatement.Parent == block
            && block.Statements.IndexOf(takenStatement) == block.Statements.IndexOf(heldStatement) + 1)
        {
            var releasesOfTaken = facts.ReleasesOf(new HeldLock(taken.Lock.Class, taken.Lock.Instance, 1, false, taken.Syntax) { Mode = taken.Event.Mode }).ToList();
            var releasesOfHeld = facts.ReleasesOf(held).ToList();
            if (releasesOfTaken.Count != 1 || releasesOfHeld.Count != 1 || releasesOfTaken[0] is not ExpressionStatementSyntax releaseTaken
                || releasesOfHeld[0] is not ExpressionStatementSyntax releaseHeld || releaseTaken.Parent != block
                || block.Statements.IndexOf(releaseHeld) != block.Statements.IndexOf(releaseTaken) + 1)
            {
                return null;
            }

            return new SequentialFixAll.Plan(title, _ =>
            {
                var swapped = block.ReplaceNodes(new StatementSyntax[] { heldStatement, takenStatement, releaseTaken, releaseHeld }, (original, _) =>
                    original == heldStatement ? takenStatement.WithTriviaFrom(heldStatement)
                    : original == takenStatement ? heldStatement.WithTriviaFrom(takenStatement)
                    : original == releaseTaken ? releaseHeld.WithTriviaFrom(releaseTaken)
                    : releaseTaken.WithTriviaFrom(releaseHeld));
                return Task.FromResult(document.WithSyntaxRoot(root.ReplaceNode(block, swapped)));
            });
        }

        return null;
    }

    /// <summary>The statement an acquisition is: a lock statement (its lowered Enter carries the lock expression),
    /// or the expression statement of an acquire call.</summary>
    private static StatementSyntax? Statement(SyntaxNode acquisition)
        => acquisition.Parent is LockStatementSyntax owner && owner.Expression == acquisition ? owner
           : (StatementSyntax?)(acquisition as LockStatementSyntax) ?? acquisition.Parent as ExpressionStatementSyntax;

    /// <summary>Whether an acquisition's lock expression reads a member the other lock's row protects.</summary>
    private static bool ReadsProtected(StatementSyntax acquisition, LockClass other, EngineFacts facts, CancellationToken cancellationToken)
    {
        var expression = acquisition is LockStatementSyntax lockStatement ? (SyntaxNode)lockStatement.Expression : acquisition;
        return other.Decl is { } row && expression.DescendantNodesAndSelf().OfType<ExpressionSyntax>().Any(e =>
            facts.SemanticModel.GetSymbolInfo(e, cancellationToken).Symbol is { Kind: SymbolKind.Field or SymbolKind.Property } member
            && ReferenceEquals(facts.Model.Knowledge.ProtectorOf(member), row));
    }

    private static async Task<CodeAction?> MoveRowAsync(Document document, Diagnostic diagnostic, SyntaxNode target, CancellationToken cancellationToken)
    {
        if (!diagnostic.Properties.TryGetValue(Rules.Messages.TakenRowProperty, out var takenName) || !diagnostic.Properties.TryGetValue(Rules.Messages.HeldRowProperty, out var heldName)
            || await EngineFacts.ForNodeAsync(document, target, cancellationToken).ConfigureAwait(false) is not { } facts
            || TableEdits.TableDocument(document.Project, facts.Model) is not { } tableDocument)
        {
            return null;
        }

        var table = facts.Model.Table;
        var taken = table.Locks.FirstOrDefault(l => l.Name == takenName);
        var held = table.Locks.FirstOrDefault(l => l.Name == heldName);
        if (taken is null || held is null || held.Row <= taken.Row)
        {
            return null;
        }

        // The held lock moves above the taken one, past the rows between: an edge from any of those rows to it
        // (that row held, the moved lock taken) would now go against the table.
        var passed = table.Locks.Where(l => l.Row >= taken.Row && l.Row < held.Row).ToImmutableHashSet();
        if (TableEdits.DeclaredEdges(facts.Model, cancellationToken).Any(e => e.Taken == held && passed.Contains(e.Held)))
        {
            return null;
        }

        var text = facts.Model.TableText!;
        return CodeAction.Create($"Move '{held.Name}' above '{taken.Name}' in lockorder.json",
            _ => TableEdits.WithTextAsync(tableDocument, TableEdits.MoveAbove(text, table, held, taken)), MoveRowKey);
    }
}
