using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace LockOrder.Engine.Calls;

/// <summary>A method or lambda that a call may end up running through data, where it was stored or registered, and
/// how (for the chain).</summary>
internal readonly record struct StoredTarget(IMethodSymbol Method, Location Where, string? How = null);

/// <summary>
/// Where delegates go in the compilation, on first need:
/// <list type="bullet">
/// <item>stored in a delegate-typed field or property, or subscribed to an event (invoking the member, or raising
/// the event, runs them);</item>
/// <item>converted to a delegate type at all (a delegate read from a dictionary or an event-args property may be any
/// of them: resolved by type, when few enough);</item>
/// <item>registered to run when something completes: continuations of a TaskCompletionSource member's task
/// (<c>ContinueWith</c>, or the rest of a method after <c>await tcs.Task</c>), callbacks registered on a
/// CancellationTokenSource member's token. Completing or cancelling runs them on the completing thread.</item>
/// </list>
/// <para>
/// What a member holds, or has registered on it, is found by its name, one member at a time: a store or a
/// registration names the member, so only the places where each syntax tree writes that name
/// (<see cref="NameIndex"/>, kept per tree) are bound, and a keystroke that raises an event pays for the trees that
/// name the event, not for the project. What a delegate type may stand for has no name to look for: the trees are
/// read in order, each once, as far as a question needs (see <see cref="OfType"/>).
/// </para>
/// </summary>
internal sealed class DelegateIndex
{
    /// <summary>How many methods a delegate type may stand for before resolving by type says nothing.</summary>
    public const int MaxByType = 8;

    private readonly Compilation _compilation;
    private readonly Knowledge.MethodNames _methodNames;
    private readonly ConcurrentDictionary<ISymbol, IReadOnlyList<StoredTarget>> _stored = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<ISymbol, IReadOnlyList<StoredTarget>> _registered = new(SymbolEqualityComparer.Default);
    private readonly object _byTypeGate = new();
    private readonly Dictionary<ITypeSymbol, List<StoredTarget>> _byType = new(SymbolEqualityComparer.Default);
    private SyntaxTree[]? _trees;
    private int _treesRead;

    public DelegateIndex(Compilation compilation, Knowledge.MethodNames methodNames)
    {
        _compilation = compilation;
        _methodNames = methodNames;
    }

    /// <summary>Whether the pass over the trees for delegate types was begun (a test hook).</summary>
    internal bool ByTypeBuilt => Volatile.Read(ref _trees) is not null;

    /// <summary>How many trees the pass for delegate types has read so far (a test hook).</summary>
    internal int TreesReadByType => Volatile.Read(ref _treesRead);

    /// <summary>What invoking a delegate-typed member or raising an event runs.</summary>
    // The answer is kept for the compilation's other bodies, so it is made whole: no cancellation token (the
    // index of delegate types, before, was made the same way).
    public IReadOnlyList<StoredTarget> StoredIn(ISymbol member)
        => _stored.TryGetValue(member, out var known) ? known : _stored.GetOrAdd(member, Find(member, stores: true, CancellationToken.None));

    /// <summary>
    /// The methods converted to a delegate type anywhere, when there are at most <see cref="MaxByType"/>. The trees
    /// are read in the compilation's order, each once, and only as far as the question needs: a type that more than
    /// <see cref="MaxByType"/> methods are converted to (<c>Action</c>, <c>Func&lt;T&gt;</c> in most projects) is
    /// answered (nothing) as soon as the one more is found, and only a type that few or none are converted to makes
    /// the pass read every tree. The answers are the whole pass's: the count only grows as trees are read, and a list
    /// is given only once every tree has been read. On a keystroke in NLog the pass over every tree cost 0.5 to 1 s.
    /// </summary>
    public IReadOnlyList<StoredTarget> OfType(ITypeSymbol delegateType)
    {
        lock (_byTypeGate)
        {
            var trees = _trees ??= _compilation.SyntaxTrees.ToArray();
            while (true)
            {
                _byType.TryGetValue(delegateType, out var list);
                if (list is { Count: > MaxByType })
                {
                    return System.Array.Empty<StoredTarget>();
                }

                if (_treesRead == trees.Length)
                {
                    return list ?? (IReadOnlyList<StoredTarget>)System.Array.Empty<StoredTarget>();
                }

                Read(trees[_treesRead], _byType);
                Volatile.Write(ref _treesRead, _treesRead + 1);
            }
        }
    }

    /// <summary>What completing a TaskCompletionSource member, or cancelling a CancellationTokenSource member, runs.</summary>
    public IReadOnlyList<StoredTarget> RegisteredOn(ISymbol member)
        => _registered.TryGetValue(member, out var known) ? known : _registered.GetOrAdd(member, Find(member, stores: false, CancellationToken.None));

    /// <summary>The stores into <paramref name="member"/> (its own initializer, assignments and event subscriptions
    /// that name it), or the registrations on it, in the order of the compilation's trees and of their text.</summary>
    private IReadOnlyList<StoredTarget> Find(ISymbol member, bool stores, CancellationToken cancellationToken)
    {
        var found = new List<StoredTarget>();
        var places = new List<SyntaxNode>();
        foreach (var tree in _compilation.SyntaxTrees)
        {
            cancellationToken.ThrowIfCancellationRequested();
            places.Clear();
            if (stores)
            {
                foreach (var reference in member.DeclaringSyntaxReferences)
                {
                    if (reference.SyntaxTree == tree
                        && reference.GetSyntax(cancellationToken) is var declaration
                        && declaration is VariableDeclaratorSyntax { Initializer: not null, Parent.Parent: FieldDeclarationSyntax } or PropertyDeclarationSyntax { Initializer: not null })
                    {
                        places.Add(declaration);
                    }
                }
            }

            foreach (var name in NameIndex.Of(tree, cancellationToken).NamesOf(member.Name, null, cancellationToken))
            {
                if ((stores ? StoreAt(name) : RegistrationAt(name)) is { } place)
                {
                    places.Add(place);
                }
            }

            if (places.Count == 0)
            {
                continue;
            }

            // The order a walk of the tree meets them in: by start, an enclosing node before the nodes inside it.
            places.Sort((a, b) => a.SpanStart != b.SpanStart ? a.SpanStart.CompareTo(b.SpanStart) : b.Span.Length.CompareTo(a.Span.Length));
            var semantic = ReadingModels.For(_compilation, tree);
            foreach (var place in places)
            {
                var target = place switch
                {
                    AssignmentExpressionSyntax a => Store(semantic, a.Left, a.Right, cancellationToken),
                    VariableDeclaratorSyntax v => Store(semantic, v, v.Initializer!.Value, cancellationToken),
                    PropertyDeclarationSyntax p => Store(semantic, p, p.Initializer!.Value, cancellationToken),
                    _ => default,
                };
                if (target.Member is { } storedIn && SymbolEqualityComparer.Default.Equals(storedIn, member))
                {
                    Add(found, target.Target);
                }

                if (place is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Expression: MemberAccessExpressionSyntax owner } } invocation)
                {
                    Register(semantic, owner.Expression, invocation, member, found, cancellationToken);
                }
                else if (place is AwaitExpressionSyntax awaiting)
                {
                    RegisterAwait(semantic, awaiting, member, found, cancellationToken);
                }
            }
        }

        return found;
    }

    /// <summary>The expression a name stands for as a whole: <c>x.Name</c>, <c>?.Name</c>, in parentheses.</summary>
    private static SyntaxNode Whole(SimpleNameSyntax name)
    {
        var node = Knowledge.NameUse.Expression(name);
        while (node.Parent is ParenthesizedExpressionSyntax parenthesized)
        {
            node = parenthesized;
        }

        return node;
    }

    /// <summary>An assignment (or subscription) to what the name stands for.</summary>
    private static SyntaxNode? StoreAt(SimpleNameSyntax name)
        => Whole(name) is var node && node.Parent is AssignmentExpressionSyntax assignment && assignment.Left == node ? assignment : null;

    /// <summary><c>name.Task.ContinueWith(..)</c>, <c>name.Token.Register(..)</c> (the invocation), or
    /// <c>await name.Task</c> (the await).</summary>
    private static SyntaxNode? RegistrationAt(SimpleNameSyntax name)
    {
        var node = Whole(name);
        if (node.Parent is not MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Task" or "Token" } owner || owner.Expression != node)
        {
            return null;
        }

        if (owner.Parent is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "ContinueWith" or "Register" or "UnsafeRegister" } call && call.Expression == owner
            && call.Parent is InvocationExpressionSyntax invocation && invocation.Expression == call)
        {
            return invocation;
        }

        if (owner.Name.Identifier.ValueText != "Task")
        {
            return null;
        }

        if (owner.Parent is AwaitExpressionSyntax awaiting && awaiting.Expression == owner)
        {
            return awaiting;
        }

        return owner.Parent is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "ConfigureAwait" } configure && configure.Expression == owner
            && configure.Parent is InvocationExpressionSyntax configured && configured.Expression == configure
            && configured.Parent is AwaitExpressionSyntax configuredAwait && configuredAwait.Expression == configured
            ? configuredAwait : null;
    }

    /// <summary>Every lambda, anonymous method and method group converted to a delegate type, by type, from every
    /// tree at once (a test hook: what <see cref="OfType"/> must agree with; with <paramref name="everyName"/>, every
    /// name argument bound, what skipping the certain variables must agree with).</summary>
    internal Dictionary<ITypeSymbol, List<StoredTarget>> ByTypeWhole(bool everyName = false)
    {
        var byType = new Dictionary<ITypeSymbol, List<StoredTarget>>(SymbolEqualityComparer.Default);
        foreach (var tree in _compilation.SyntaxTrees)
        {
            Read(tree, byType, everyName);
        }

        return byType;
    }

    /// <summary>The lambdas, anonymous methods and method groups one tree converts to delegate types, added by type.
    /// An argument that is a name is bound only if it may be a method group: most are a parameter or a local, which
    /// the syntax around them says (<see cref="Knowledge.NameUse.IsCertainlyVariable"/>), or a field, property or
    /// constant whose name no method the compilation can see has (<see cref="Knowledge.MethodNames"/>; nor a local
    /// function of the enclosing member); a member none of whose candidates is left is not bound at all
    /// (<paramref name="everyName"/> binds every name, a test hook to compare with).</summary>
    private void Read(SyntaxTree tree, Dictionary<ITypeSymbol, List<StoredTarget>> byType, bool everyName = false)
    {
        SemanticModel? semantic = null;
        SemanticModel Model() => semantic ??= ReadingModels.For(_compilation, tree);
        foreach (var node in tree.GetRoot(CancellationToken.None).DescendantNodes())
        {
            switch (node)
            {
                case LambdaExpressionSyntax or AnonymousMethodExpressionSyntax:
                    Convert(Model(), (ExpressionSyntax)node, byType, CancellationToken.None);
                    break;
                case ArgumentSyntax { Expression: IdentifierNameSyntax or MemberAccessExpressionSyntax } argument when everyName || MayBeMethodGroup(argument.Expression):
                    Convert(Model(), argument.Expression, byType, CancellationToken.None);
                    break;
            }
        }
    }

    /// <summary>Whether a name passed as an argument may be a method group, from syntax and names alone: not a
    /// certain variable, and named like some method the compilation can see (or a local function of its member).
    /// When this says no, the name binds to something else (a test checks it on every argument it skips).</summary>
    internal bool MayBeMethodGroup(ExpressionSyntax argument) => argument switch
    {
        IdentifierNameSyntax name => !Knowledge.NameUse.IsCertainlyVariable(name)
                                     && (_methodNames.MayBeMethod(name.Identifier.ValueText) || Knowledge.NameUse.MayBeLocalFunction(name)),
        MemberAccessExpressionSyntax access => _methodNames.MayBeMethod(access.Name.Identifier.ValueText),
        _ => true,
    };

    private static (ISymbol? Member, StoredTarget Target) Store(SemanticModel semantic, SyntaxNode target, ExpressionSyntax value, CancellationToken cancellationToken)
    {
        if (value is not (LambdaExpressionSyntax or AnonymousMethodExpressionSyntax or IdentifierNameSyntax or MemberAccessExpressionSyntax))
        {
            return default;
        }

        var member = target is ExpressionSyntax expression ? semantic.GetSymbolInfo(expression, cancellationToken).Symbol : semantic.GetDeclaredSymbol(target, cancellationToken);
        if (member is (IFieldSymbol { Type.TypeKind: TypeKind.Delegate } or IPropertySymbol { Type.TypeKind: TypeKind.Delegate } or IEventSymbol)
            && semantic.GetSymbolInfo(value, cancellationToken).Symbol is IMethodSymbol stored)
        {
            return (member.OriginalDefinition, new StoredTarget(stored, value.GetLocation()));
        }

        return default;
    }

    private static void Convert(SemanticModel semantic, ExpressionSyntax value, Dictionary<ITypeSymbol, List<StoredTarget>> byType, CancellationToken cancellationToken)
    {
        if (semantic.GetTypeInfo(value, cancellationToken).ConvertedType is { TypeKind: TypeKind.Delegate } delegateType
            && semantic.GetSymbolInfo(value, cancellationToken).Symbol is IMethodSymbol method)
        {
            if (!byType.TryGetValue(delegateType, out var list))
            {
                byType[delegateType] = list = new List<StoredTarget>();
            }

            Add(list, new StoredTarget(method, value.GetLocation()));
        }
    }

    /// <summary><c>_tcs.Task.ContinueWith(d)</c>, <c>_cts.Token.Register(d)</c>.</summary>
    private static void Register(SemanticModel semantic, ExpressionSyntax owner, InvocationExpressionSyntax invocation, ISymbol asked, List<StoredTarget> found, CancellationToken cancellationToken)
    {
        if (Member(semantic, owner, cancellationToken) is not { } member || !SymbolEqualityComparer.Default.Equals(member, asked))
        {
            return;
        }

        foreach (var argument in invocation.ArgumentList.Arguments)
        {
            if (semantic.GetSymbolInfo(argument.Expression, cancellationToken).Symbol is IMethodSymbol callback
                && semantic.GetTypeInfo(argument.Expression, cancellationToken).ConvertedType is { TypeKind: TypeKind.Delegate })
            {
                Add(found, new StoredTarget(callback, argument.GetLocation(), "registered on " + member.Name));
            }
        }
    }

    /// <summary><c>await _tcs.Task</c>: the rest of the awaiting method runs as the task's continuation.</summary>
    private static void RegisterAwait(SemanticModel semantic, AwaitExpressionSyntax awaiting, ISymbol asked, List<StoredTarget> found, CancellationToken cancellationToken)
    {
        var operand = awaiting.Expression;
        if (operand is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "ConfigureAwait" } configure })
        {
            operand = configure.Expression;
        }

        if (operand is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Task" } task && Member(semantic, task.Expression, cancellationToken) is { } member
            && SymbolEqualityComparer.Default.Equals(member, asked)
            && semantic.GetEnclosingSymbol(awaiting.SpanStart, cancellationToken) is IMethodSymbol method)
        {
            Add(found, new StoredTarget(method, awaiting.GetLocation(), "after 'await " + member.Name + ".Task'"));
        }
    }

    private static ISymbol? Member(SemanticModel semantic, ExpressionSyntax expression, CancellationToken cancellationToken)
        => semantic.GetSymbolInfo(expression, cancellationToken).Symbol is { } symbol and (IFieldSymbol or IPropertySymbol) ? symbol.OriginalDefinition : null;

    private static void Add(List<StoredTarget> list, StoredTarget target)
    {
        if (!list.Any(t => SymbolEqualityComparer.Default.Equals(t.Method, target.Method)))
        {
            list.Add(target);
        }
    }
}
