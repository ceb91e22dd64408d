using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;

namespace LockOrder.CodeFixes;

/// <summary>Small pieces of syntax the fixes share: new statements on lines of their own, in the file's line ending.</summary>
internal static class FixSyntax
{
    /// <summary>The file's line ending (its first one; "\n" when it has none).</summary>
    public static string EndOfLine(SyntaxNode root)
        => root.DescendantTrivia().FirstOrDefault(t => t.IsKind(SyntaxKind.EndOfLineTrivia)) is { } first && first.ToString().Length > 0 ? first.ToString() : "\n";

    /// <summary>A statement on a line of its own once formatted.</summary>
    public static T OnItsOwnLine<T>(T statement, string eol)
        where T : StatementSyntax
        => statement.WithLeadingTrivia(SyntaxFactory.ElasticMarker).WithTrailingTrivia(SyntaxFactory.ElasticEndOfLine(eol)).WithAdditionalAnnotations(Formatter.Annotation);

    /// <summary>A statement parsed from text, on a line of its own once formatted.</summary>
    public static StatementSyntax Statement(string text, string eol) => OnItsOwnLine(SyntaxFactory.ParseStatement(text), eol);
}
