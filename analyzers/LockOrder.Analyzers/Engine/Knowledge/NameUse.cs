using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace LockOrder.Engine.Knowledge;

/// <summary>How a simple name is used, read from syntax alone: what the body filter and the callers index ask of
/// a name before (or instead of) binding it.</summary>
internal static class NameUse
{
    /// <summary>The expression the name stands for: <c>x.M</c> or <c>?.M</c> when it is the member named there,
    /// else the name itself.</summary>
    public static SyntaxNode Expression(SimpleNameSyntax name)
        => name.Parent is MemberAccessExpressionSyntax access && access.Name == name ? access
            : name.Parent is MemberBindingExpressionSyntax binding && binding.Name == name ? binding
            : name;

    /// <summary>The name is the invoked expression of a call: <c>M()</c>, <c>x.M()</c>, <c>x?.M()</c>.</summary>
    public static bool IsInvoked(SimpleNameSyntax name)
    {
        var expression = Expression(name);
        return expression.Parent is InvocationExpressionSyntax invocation && invocation.Expression == expression;
    }

    /// <summary>
    /// The simple name certainly stands for a variable, so it is not a method group: a parameter of a body that
    /// encloses it (a method, constructor, operator, indexer, local function, lambda or anonymous method; the
    /// implicit <c>value</c> of a setter or event accessor), or a local declared by a statement of a block that
    /// encloses it, or by an enclosing <c>foreach</c>, <c>for</c>, <c>using</c>, <c>fixed</c> or <c>catch</c>.
    /// C# finds locals and parameters before members, and a local's scope is its whole block (a use before the
    /// declaration is an error, not the member), so such a name never binds to a method. Only these plain scopes are
    /// read; a pattern or <c>out</c> variable, a range variable, a switch section's local, a top-level statement's
    /// local or a primary constructor's parameter is not looked for, so for them this says no (a name is then
    /// bound to learn what it is, as before).
    /// </summary>
    public static bool IsCertainlyVariable(IdentifierNameSyntax name)
    {
        var text = name.Identifier.ValueText;
        if (text == "_")
        {
            return false; // Two lambda parameters named '_' are discards, not variables.
        }

        SyntaxNode? child = name;
        for (var node = name.Parent; node is not null; child = node, node = node.Parent)
        {
            switch (node)
            {
                case BlockSyntax block:
                    foreach (var statement in block.Statements)
                    {
                        if (statement is LocalDeclarationStatementSyntax local && local.Declaration.Variables.Any(v => v.Identifier.ValueText == text))
                        {
                            return true;
                        }
                    }

                    break;
                case ForEachStatementSyntax forEach when child == forEach.Statement && forEach.Identifier.ValueText == text:
                case ForStatementSyntax { Declaration: { } forDeclaration } when child != forDeclaration && forDeclaration.Variables.Any(v => v.Identifier.ValueText == text):
                case UsingStatementSyntax { Declaration: { } usingDeclaration } usingStatement when child == usingStatement.Statement && usingDeclaration.Variables.Any(v => v.Identifier.ValueText == text):
                case FixedStatementSyntax fixedStatement when child == fixedStatement.Statement && fixedStatement.Declaration.Variables.Any(v => v.Identifier.ValueText == text):
                case CatchClauseSyntax { Declaration: { } catchDeclaration } catchClause when child == catchClause.Block && catchDeclaration.Identifier.ValueText == text:
                    return true;
                case SimpleLambdaExpressionSyntax simple when simple.Parameter.Identifier.ValueText == text:
                    return true;
                case ParenthesizedLambdaExpressionSyntax parenthesized when HasParameter(parenthesized.ParameterList, text):
                    return true;
                case AnonymousMethodExpressionSyntax anonymous when anonymous.ParameterList is { } anonymousParameters && HasParameter(anonymousParameters, text):
                    return true;
                case LocalFunctionStatementSyntax localFunction when HasParameter(localFunction.ParameterList, text):
                    return true;
                case BaseMethodDeclarationSyntax method when HasParameter(method.ParameterList, text):
                    return true;
                case IndexerDeclarationSyntax indexer when indexer.ParameterList.Parameters.Any(p => p.Identifier.ValueText == text):
                    return true;
                case AccessorDeclarationSyntax accessor when text == "value"
                    && accessor.Keyword.ValueText is "set" or "init" or "add" or "remove":
                    return true;
                case TypeDeclarationSyntax:
                    return false;
            }
        }

        return false;
    }

    /// <summary>Whether a local function of that name is declared in the member (or field initializer) the name is
    /// in, at any depth: a simple name may be a group of those, which no tree's declarations list.</summary>
    public static bool MayBeLocalFunction(IdentifierNameSyntax name)
    {
        var text = name.Identifier.ValueText;
        // Top-level statements are one body across their statements: a local function of one is seen from all.
        SyntaxNode? member = name.Ancestors().FirstOrDefault(a => a is MemberDeclarationSyntax and not GlobalStatementSyntax);
        return (member ?? name.SyntaxTree.GetRoot()).DescendantNodes().OfType<LocalFunctionStatementSyntax>().Any(f => f.Identifier.ValueText == text);
    }

    private static bool HasParameter(ParameterListSyntax parameters, string text)
        => parameters.Parameters.Any(p => p.Identifier.ValueText == text);

    /// <summary>The name is inside <c>nameof(...)</c>: it names something without using it.</summary>
    public static bool InNameof(SimpleNameSyntax name)
        => name.Ancestors().OfType<InvocationExpressionSyntax>().Any(i => i.Expression is IdentifierNameSyntax { Identifier.ValueText: "nameof" });
}
