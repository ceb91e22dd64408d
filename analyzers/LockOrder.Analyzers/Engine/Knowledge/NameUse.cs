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

    /// <summary>The name is inside <c>nameof(...)</c>: it names something without using it.</summary>
    public static bool InNameof(SimpleNameSyntax name)
        => name.Ancestors().OfType<InvocationExpressionSyntax>().Any(i => i.Expression is IdentifierNameSyntax { Identifier.ValueText: "nameof" });
}
