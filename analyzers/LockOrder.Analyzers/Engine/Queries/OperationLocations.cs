using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace LockOrder.Engine.Queries;

/// <summary>Where a diagnostic about an operation goes: for the lowered parts of a lock or using statement,
/// the statement's head (<c>lock (x)</c>), not its whole body.</summary>
internal static class OperationLocations
{
    public static Location Of(IOperation operation) => Of(operation.Syntax);

    public static Location Of(SyntaxNode syntax)
    {
        // The lowered Monitor.Enter/Exit of a lock statement carry the lock expression as their syntax.
        if (syntax.Parent is LockStatementSyntax owner && owner.Expression == syntax)
        {
            syntax = owner;
        }

        switch (syntax)
        {
            case LockStatementSyntax lockStatement:
                return Location.Create(syntax.SyntaxTree, TextSpan.FromBounds(lockStatement.LockKeyword.SpanStart, lockStatement.CloseParenToken.Span.End));
            case UsingStatementSyntax usingStatement:
                return Location.Create(syntax.SyntaxTree, TextSpan.FromBounds(usingStatement.UsingKeyword.SpanStart, usingStatement.CloseParenToken.Span.End));
            default:
                return syntax.GetLocation();
        }
    }

    /// <summary>
    /// Where a finding about a whole body goes: the member's name where that body is (a partial method's
    /// implementing part, not its declaration in another file, which may be generated), else the body itself; with
    /// no body, the member's first place in source.
    /// </summary>
    public static Location OfOwner(IMethodSymbol owner, SyntaxNode? body)
    {
        foreach (var location in owner.Locations)
        {
            if (location.IsInSource && (body is null || location.SourceTree == body.SyntaxTree))
            {
                return location;
            }
        }

        return body?.GetLocation() ?? Location.None;
    }

    /// <summary>1-based line of an operation, for messages that point at another place.</summary>
    public static int Line(IOperation operation) => Of(operation).GetLineSpan().StartLinePosition.Line + 1;
}
