using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace LockOrder.Engine.Calls;

/// <summary>A method or lambda that a call may end up running through data, where it was stored or registered, and
/// how (for the chain).</summary>
internal readonly record struct StoredTarget(IMethodSymbol Method, Location Where, string? How = null);

/// <summary>
/// Where delegates go in the compilation, found in one pass over its syntax trees (with the driver's cached semantic
/// models), on first need:
/// <list type="bullet">
/// <item>stored in a delegate-typed field or property, or subscribed to an event (invoking the member, or raising
/// the event, runs them);</item>
/// <item>converted to a delegate type at all (a delegate read from a dictionary or an event-args property may be any
/// of them: resolved by type, when few enough);</item>
/// <item>registered to run when something completes: continuations of a TaskCompletionSource member's task
/// (<c>ContinueWith</c>, or the rest of a method after <c>await tcs.Task</c>), callbacks registered on a
/// CancellationTokenSource member's token. Completing or cancelling runs them on the completing thread.</item>
/// </list>
/// </summary>
internal sealed class DelegateIndex
{
    /// <summary>How many methods a delegate type may stand for before resolving by type says nothing.</summary>
    public const int MaxByType = 8;

    private readonly Dictionary<ISymbol, List<StoredTarget>> _stored = new(SymbolEqualityComparer.Default);
    private readonly Dictionary<ITypeSymbol, List<StoredTarget>> _byType = new(SymbolEqualityComparer.Default);
    private readonly Dictionary<ISymbol, List<StoredTarget>> _registered = new(SymbolEqualityComparer.Default);

    public DelegateIndex(Compilation compilation, System.Threading.CancellationToken cancellationToken)
    {
        foreach (var tree in compilation.SyntaxTrees)
        {
            SemanticModel? semantic = null;
#pragma warning disable RS1030 // One pass over the compilation, on demand; the driver caches semantic models.
            SemanticModel Model() => semantic ??= compilation.GetSemanticModel(tree);
#pragma warning restore RS1030
            foreach (var node in tree.GetRoot(cancellationToken).DescendantNodes())
            {
                switch (node)
                {
                    case AssignmentExpressionSyntax a:
                        Store(Model(), a.Left, a.Right, cancellationToken);
                        break;
                    case VariableDeclaratorSyntax { Initializer: { } init, Parent.Parent: FieldDeclarationSyntax } v:
                        Store(Model(), v, init.Value, cancellationToken);
                        break;
                    case PropertyDeclarationSyntax { Initializer: { } init } p:
                        Store(Model(), p, init.Value, cancellationToken);
                        break;
                    case LambdaExpressionSyntax or AnonymousMethodExpressionSyntax:
                        Convert(Model(), (ExpressionSyntax)node, cancellationToken);
                        break;
                    case ArgumentSyntax { Expression: IdentifierNameSyntax or MemberAccessExpressionSyntax } argument:
                        Convert(Model(), argument.Expression, cancellationToken);
                        break;
                    case InvocationExpressionSyntax
                    {
                        Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "ContinueWith" or "Register" or "UnsafeRegister", Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Task" or "Token" } owner },
                    } invocation:
                        Register(Model(), owner.Expression, invocation, cancellationToken);
                        break;
                    case AwaitExpressionSyntax awaiting:
                        RegisterAwait(Model(), awaiting, cancellationToken);
                        break;
                }
            }
        }
    }

    /// <summary>What invoking a delegate-typed member or raising an event runs.</summary>
    public IReadOnlyList<StoredTarget> StoredIn(ISymbol member) => _stored.TryGetValue(member, out var list) ? list : (IReadOnlyList<StoredTarget>)System.Array.Empty<StoredTarget>();

    /// <summary>The methods converted to a delegate type anywhere, when there are at most <see cref="MaxByType"/>.</summary>
    public IReadOnlyList<StoredTarget> OfType(ITypeSymbol delegateType)
        => _byType.TryGetValue(delegateType, out var list) && list.Count <= MaxByType ? list : (IReadOnlyList<StoredTarget>)System.Array.Empty<StoredTarget>();

    /// <summary>What completing a TaskCompletionSource member, or cancelling a CancellationTokenSource member, runs.</summary>
    public IReadOnlyList<StoredTarget> RegisteredOn(ISymbol member) => _registered.TryGetValue(member, out var list) ? list : (IReadOnlyList<StoredTarget>)System.Array.Empty<StoredTarget>();

    private void Store(SemanticModel semantic, SyntaxNode target, ExpressionSyntax value, System.Threading.CancellationToken cancellationToken)
    {
        if (value is not (LambdaExpressionSyntax or AnonymousMethodExpressionSyntax or IdentifierNameSyntax or MemberAccessExpressionSyntax))
        {
            return;
        }

        var member = target is ExpressionSyntax expression ? semantic.GetSymbolInfo(expression, cancellationToken).Symbol : semantic.GetDeclaredSymbol(target, cancellationToken);
        if (member is (IFieldSymbol { Type.TypeKind: TypeKind.Delegate } or IPropertySymbol { Type.TypeKind: TypeKind.Delegate } or IEventSymbol)
            && semantic.GetSymbolInfo(value, cancellationToken).Symbol is IMethodSymbol stored)
        {
            Add(_stored, member.OriginalDefinition, new StoredTarget(stored, value.GetLocation()));
        }
    }

    private void Convert(SemanticModel semantic, ExpressionSyntax value, System.Threading.CancellationToken cancellationToken)
    {
        if (semantic.GetTypeInfo(value, cancellationToken).ConvertedType is { TypeKind: TypeKind.Delegate } delegateType
            && semantic.GetSymbolInfo(value, cancellationToken).Symbol is IMethodSymbol method)
        {
            Add(_byType, delegateType, new StoredTarget(method, value.GetLocation()));
        }
    }

    /// <summary><c>_tcs.Task.ContinueWith(d)</c>, <c>_cts.Token.Register(d)</c>.</summary>
    private void Register(SemanticModel semantic, ExpressionSyntax owner, InvocationExpressionSyntax invocation, System.Threading.CancellationToken cancellationToken)
    {
        if (Member(semantic, owner, cancellationToken) is not { } member)
        {
            return;
        }

        foreach (var argument in invocation.ArgumentList.Arguments)
        {
            if (semantic.GetSymbolInfo(argument.Expression, cancellationToken).Symbol is IMethodSymbol callback
                && semantic.GetTypeInfo(argument.Expression, cancellationToken).ConvertedType is { TypeKind: TypeKind.Delegate })
            {
                Add(_registered, member, new StoredTarget(callback, argument.GetLocation(), "registered on " + member.Name));
            }
        }
    }

    /// <summary><c>await _tcs.Task</c>: the rest of the awaiting method runs as the task's continuation.</summary>
    private void RegisterAwait(SemanticModel semantic, AwaitExpressionSyntax awaiting, System.Threading.CancellationToken cancellationToken)
    {
        var operand = awaiting.Expression;
        if (operand is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "ConfigureAwait" } configure })
        {
            operand = configure.Expression;
        }

        if (operand is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Task" } task && Member(semantic, task.Expression, cancellationToken) is { } member
            && semantic.GetEnclosingSymbol(awaiting.SpanStart, cancellationToken) is IMethodSymbol method)
        {
            Add(_registered, member, new StoredTarget(method, awaiting.GetLocation(), "after 'await " + member.Name + ".Task'"));
        }
    }

    private static ISymbol? Member(SemanticModel semantic, ExpressionSyntax expression, System.Threading.CancellationToken cancellationToken)
        => semantic.GetSymbolInfo(expression, cancellationToken).Symbol is { } symbol and (IFieldSymbol or IPropertySymbol) ? symbol.OriginalDefinition : null;

    private static void Add<TKey>(Dictionary<TKey, List<StoredTarget>> map, TKey key, StoredTarget target)
        where TKey : notnull
    {
        if (!map.TryGetValue(key, out var list))
        {
            map[key] = list = new List<StoredTarget>();
        }

        if (!list.Any(t => SymbolEqualityComparer.Default.Equals(t.Method, target.Method)))
        {
            list.Add(target);
        }
    }
}
