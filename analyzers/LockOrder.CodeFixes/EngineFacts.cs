using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using LockOrder.Engine;
using LockOrder.Engine.Flow;
using LockOrder.Engine.Model;
using LockOrder.Engine.Queries;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace LockOrder.CodeFixes;

/// <summary>
/// What a code fix knows of the code it rewrites: the engine's facts for the body that contains a node, from the
/// same per-compilation model the analyzers filled (no second analysis of the body when the compilation is the
/// one they ran on).
/// </summary>
internal sealed class EngineFacts
{
    private EngineFacts(LockModel model, BodyFacts body, SemanticModel semanticModel)
    {
        Model = model;
        Body = body;
        SemanticModel = semanticModel;
    }

    public LockModel Model { get; }

    public BodyFacts Body { get; }

    public SemanticModel SemanticModel { get; }

    /// <summary>The facts of the innermost body (method, accessor, lambda, local function) around a node.</summary>
    public static async Task<EngineFacts?> ForNodeAsync(Document document, SyntaxNode node, CancellationToken cancellationToken)
    {
        var semanticModel = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (semanticModel is null)
        {
            return null;
        }

        var model = LockModel.For(semanticModel.Compilation, document.Project.AnalyzerOptions, cancellationToken);
        foreach (var ancestor in node.AncestorsAndSelf())
        {
            var symbol = ancestor switch
            {
                AnonymousFunctionExpressionSyntax lambda => semanticModel.GetSymbolInfo(lambda, cancellationToken).Symbol,
                LocalFunctionStatementSyntax or BaseMethodDeclarationSyntax or AccessorDeclarationSyntax => semanticModel.GetDeclaredSymbol(ancestor, cancellationToken),
                _ => null,
            };
            if (symbol is IMethodSymbol method)
            {
                return model.BodyOf(method, cancellationToken) is { } body ? new EngineFacts(model, body, semanticModel) : null;
            }
        }

        return null;
    }

    /// <summary>The held lock of the call or acquisition at <paramref name="node"/> whose acquisition is
    /// <paramref name="heldNode"/> (the node at a diagnostic's first related location).</summary>
    public HeldLock? HeldAt(SyntaxNode node, SyntaxNode heldNode)
    {
        var heldSite = OperationLocations.Of(heldNode);
        var span = node.Span;
        var held = Body.Calls.Where(c => span.Contains(c.Syntax.Span)).SelectMany(c => c.Held)
            .Concat(Body.Acquisitions.Where(a => span.Contains(a.Syntax.Span)).SelectMany(a => a.HeldBefore));
        return held.FirstOrDefault(h => OperationLocations.Of(h.Site).SourceSpan == heldSite.SourceSpan);
    }

    /// <summary>The statements that release <paramref name="held"/> in this body: the expression statement of an
    /// unlock call, the lock statement whose end releases it, the try statement whose finally does.</summary>
    public System.Collections.Generic.IEnumerable<StatementSyntax> ReleasesOf(HeldLock held)
    {
        foreach (var release in Body.Releases)
        {
            if (!ReferenceEquals(release.Event.Lock.Class, held.Class) || !Equals(release.Event.Lock.Instance, held.Instance))
            {
                continue;
            }

            var syntax = release.Syntax;
            if (syntax.Parent is LockStatementSyntax owner && owner.Expression == syntax)
            {
                yield return owner;
                continue;
            }

            if (syntax.FirstAncestorOrSelf<FinallyClauseSyntax>() is { Parent: TryStatementSyntax tryStatement })
            {
                yield return tryStatement;
                continue;
            }

            if (syntax.FirstAncestorOrSelf<StatementSyntax>() is { } statement)
            {
                yield return statement;
            }
        }

        if (held.Scope is LockStatementSyntax unlowered)
        {
            yield return unlowered;
        }
    }
}
