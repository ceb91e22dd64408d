using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;

namespace LockOrder.CodeFixes;

/// <summary>
/// LOCK007, "use an async lock": a <c>SemaphoreSlim</c> taken with <c>Wait()</c> (or <c>Wait(cancellationToken)</c>)
/// and held across an <c>await</c> is taken with <c>await WaitAsync(...)</c> instead, in the same async function;
/// its release stays as it is. Offered only when every lock held at the await is such a semaphore (for a
/// <c>Monitor</c>, <c>SpinLock</c> or <c>Lock</c>, which are thread-affine, no rewrite keeps the code's meaning).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AsyncLockFix)), Shared]
public sealed class AsyncLockFix : PlannedFix
{
    public const string EquivalenceKey = "LockOrder.AsyncLock";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.AwaitUnderLock);

    public AsyncLockFix() : base(EquivalenceKey, PlanAsync, SequentialFixAll.Node, needsRelated: true)
    {
    }

    internal static async Task<SequentialFixAll.Plan?> PlanAsync(Document document, SyntaxNode target, SyntaxNode heldNode, CancellationToken cancellationToken)
    {
        var facts = await EngineFacts.ForNodeAsync(document, target, cancellationToken).ConfigureAwait(false);
        var await_ = facts?.Body.Awaits.FirstOrDefault(a => a.Syntax.Span.Contains(target.Span) || target.Span.Contains(a.Syntax.Span));
        if (facts is null || await_ is null || await_.Held.IsEmpty)
        {
            return null;
        }

        var waits = await_.Held.Select(h => h.Site).OfType<InvocationExpressionSyntax>().ToList();
        if (waits.Count != await_.Held.Length || waits.Any(w => !IsSemaphoreWait(w, facts.SemanticModel, cancellationToken)))
        {
            return null;
        }

        var root = target.SyntaxTree.GetRoot(cancellationToken);
        return new SequentialFixAll.Plan("Take the semaphore with 'await WaitAsync()'", _ =>
            Task.FromResult(document.WithSyntaxRoot(root.ReplaceNodes(waits, (original, _) =>
            {
                var member = (MemberAccessExpressionSyntax)original.Expression;
                var call = original.WithExpression(member.WithName(SyntaxFactory.IdentifierName("WaitAsync")));
                return SyntaxFactory.AwaitExpression(call.WithoutLeadingTrivia()).WithLeadingTrivia(original.GetLeadingTrivia()).WithAdditionalAnnotations(Formatter.Annotation);
            }))));
    }

    /// <summary><c>s.Wait()</c> or <c>s.Wait(token)</c> on a SemaphoreSlim, as a statement of its own (its value is void).</summary>
    private static bool IsSemaphoreWait(InvocationExpressionSyntax invocation, SemanticModel semanticModel, CancellationToken cancellationToken)
        => invocation.Parent is ExpressionStatementSyntax && invocation.Expression is MemberAccessExpressionSyntax
           && semanticModel.GetSymbolInfo(invocation, cancellationToken).Symbol is IMethodSymbol
           {
               Name: "Wait", ReturnsVoid: true,
               ContainingType: { Name: "SemaphoreSlim", ContainingNamespace: { Name: "Threading", ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } } },
           } method
           && method.Parameters.All(p => p.Type is { Name: "CancellationToken" });
}
