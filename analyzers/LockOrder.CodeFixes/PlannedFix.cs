using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;

namespace LockOrder.CodeFixes;

/// <summary>
/// A code fix that is one plan per diagnostic: the node the diagnostic is about (its statement, or the node
/// itself) and the node at its first related location (where the held lock was taken) are given to the fix's
/// planner, which returns the change or null when it is not provably safe. One action per diagnostic, and Fix All
/// re-plans each diagnostic on the code the previous ones left (<see cref="SequentialFixAll"/>).
/// </summary>
public abstract class PlannedFix : CodeFixProvider
{
    private readonly string _equivalenceKey;
    private readonly SequentialFixAll.Planner _planner;
    private readonly SequentialFixAll.TargetFinder _target;
    private readonly bool _needsRelated;

    /// <param name="needsRelated">The planner reads the held lock's node: a diagnostic without a related location
    /// gets no fix.</param>
    private protected PlannedFix(string equivalenceKey, SequentialFixAll.Planner planner, SequentialFixAll.TargetFinder target, bool needsRelated)
    {
        _equivalenceKey = equivalenceKey;
        _planner = planner;
        _target = target;
        _needsRelated = needsRelated;
    }

    public sealed override FixAllProvider GetFixAllProvider() => SequentialFixAll.Create(_planner, _target);

    public sealed override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return;
        }

        foreach (var diagnostic in context.Diagnostics)
        {
            if ((_needsRelated && diagnostic.AdditionalLocations.Count == 0) || _target(root, diagnostic) is not { } target)
            {
                continue;
            }

            if (await _planner(context.Document, target, SequentialFixAll.Related(root, diagnostic), context.CancellationToken).ConfigureAwait(false) is { } plan)
            {
                context.RegisterCodeFix(CodeAction.Create(plan.Title, plan.ApplyAsync, _equivalenceKey), diagnostic);
            }
        }
    }
}
