using System;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;

namespace LockOrder.CodeFixes;

/// <summary>
/// Fix All for fixes whose safety depends on the code around them: the diagnostics of a document are fixed one
/// after another, each planned again on the code the previous ones left (two fixes of one region would otherwise
/// be planned on code that no longer exists). A diagnostic whose fix is no longer safe is left alone. Nodes are
/// found again through annotations put on the original tree.
/// </summary>
internal static class SequentialFixAll
{
    /// <summary>A fix worked out for one diagnostic: its title, and the change.</summary>
    internal sealed record Plan(string Title, Func<CancellationToken, Task<Document>> ApplyAsync);

    /// <summary>Works out the fix of one diagnostic from the node at its location and the node at its first related
    /// location (where the held lock was taken; its own location when it has none), or null when it is not safe.</summary>
    internal delegate Task<Plan?> Planner(Document document, SyntaxNode target, SyntaxNode related, CancellationToken cancellationToken);

    /// <summary>Finds the node a diagnostic is about in a root.</summary>
    internal delegate SyntaxNode? TargetFinder(SyntaxNode root, Diagnostic diagnostic);

    /// <summary>The statement the diagnostic is about.</summary>
    internal static SyntaxNode? Statement(SyntaxNode root, Diagnostic diagnostic)
        => Node(root, diagnostic).FirstAncestorOrSelf<Microsoft.CodeAnalysis.CSharp.Syntax.StatementSyntax>();

    /// <summary>The innermost node at the diagnostic's location.</summary>
    internal static SyntaxNode Node(SyntaxNode root, Diagnostic diagnostic)
        => root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);

    /// <summary>The node at the diagnostic's first related location (where the held lock was taken), or at its own
    /// location when it has none.</summary>
    internal static SyntaxNode Related(SyntaxNode root, Diagnostic diagnostic)
        => root.FindNode((diagnostic.AdditionalLocations.Count > 0 ? diagnostic.AdditionalLocations[0] : diagnostic.Location).SourceSpan, getInnermostNodeForTie: true);

    private const string TargetKind = "LockOrder.FixAll.Target";
    private const string RelatedKind = "LockOrder.FixAll.Related";

    /// <param name="onlyKey">When set, Fix All applies only to the action of this equivalence key.</param>
    public static FixAllProvider Create(Planner planner, TargetFinder? target = null, string? onlyKey = null)
    {
        target ??= Statement;
        return FixAllProvider.Create(async (context, document, diagnostics) =>
        {
            if (onlyKey is not null && context.CodeActionEquivalenceKey != onlyKey)
            {
                return document;
            }

            var root = await document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            if (root is null)
            {
                return document;
            }

            // Mark each diagnostic's nodes, then fix them in source order, each on the current code.
            var marked = diagnostics.OrderBy(d => d.Location.SourceSpan.Start).ToImmutableArray();
            var annotated = root;
            var nodes = marked.Select(d => (Target: target(root, d), Related: Related(root, d))).ToList();
            var targets = nodes.Select((n, i) => (n.Target, i)).Where(p => p.Target is not null).GroupBy(p => p.Target!).ToDictionary(g => g.Key, g => g.Select(p => p.i).ToList());
            var relateds = nodes.Select((n, i) => (n.Related, i)).GroupBy(p => p.Related).ToDictionary(g => g.Key, g => g.Select(p => p.i).ToList());
            annotated = root.ReplaceNodes(targets.Keys.Concat(relateds.Keys).Distinct(), (original, rewritten) =>
            {
                var annotations = (targets.TryGetValue(original, out var t) ? t.Select(i => new SyntaxAnnotation(TargetKind, i.ToString(System.Globalization.CultureInfo.InvariantCulture))) : Enumerable.Empty<SyntaxAnnotation>())
                    .Concat(relateds.TryGetValue(original, out var r) ? r.Select(i => new SyntaxAnnotation(RelatedKind, i.ToString(System.Globalization.CultureInfo.InvariantCulture))) : Enumerable.Empty<SyntaxAnnotation>());
                return rewritten.WithAdditionalAnnotations(annotations);
            });
            var current = document.WithSyntaxRoot(annotated);
            for (int i = 0; i < marked.Length; i++)
            {
                context.CancellationToken.ThrowIfCancellationRequested();
                var currentRoot = await current.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
                var id = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                var targetNode = currentRoot?.GetAnnotatedNodes(TargetKind).FirstOrDefault(n => n.GetAnnotations(TargetKind).Any(a => a.Data == id));
                var relatedNode = currentRoot?.GetAnnotatedNodes(RelatedKind).FirstOrDefault(n => n.GetAnnotations(RelatedKind).Any(a => a.Data == id));
                if (targetNode is null || relatedNode is null)
                {
                    continue;
                }

                if (await planner(current, targetNode, relatedNode, context.CancellationToken).ConfigureAwait(false) is { } plan)
                {
                    current = await plan.ApplyAsync(context.CancellationToken).ConfigureAwait(false);
                }
            }

            return current;
        });
    }
}
