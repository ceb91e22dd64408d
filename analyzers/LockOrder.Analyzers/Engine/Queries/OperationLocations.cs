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

    /// <summary>1-based line of an operation, for messages that point at another place.</summary>
    public static int Line(IOperation operation) => Of(operation).GetLineSpan().StartLinePosition.Line + 1;
}
