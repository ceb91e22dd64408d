using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using LockOrder.Engine.Flow;
using LockOrder.Engine.Knowledge;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace LockOrder.Engine.Calls;

/// <summary>
/// Who calls what, from the same engine facts: for a method, lambda or local function, the calls that may run it
/// (directly, through virtual dispatch, or as a delegate argument its callee invokes), with the locks held there;
/// and whether a method is used as a release callback (passed to a method of the table's 'frees' or 'invokes'
/// lists).
/// <para>
/// Demand-driven, so that a keystroke pays for the callers it asks about, not for the project. A named method that
/// is only ever called by name (every mention of its name in the compilation is a call, or something else with
/// that name) can be called only from the bodies that mention its name: those are found through each syntax tree's
/// <see cref="NameIndex"/> (kept as long as the tree lives, so an edit re-reads only the edited tree), and only those
/// bodies are analysed. A method that escapes as a delegate (a method group, a lambda, a
/// local function) or runs as a continuation (<c>await _tcs.Task</c>) can be run from a call that does not name
/// it; for those, every body of the compilation is analysed once (the whole-compilation index).
/// </para>
/// </summary>
internal sealed class CallersIndex
{
    private readonly LockModel _model;
    private readonly object _fullGate = new();
    private Whole? _whole;
    private readonly ConcurrentDictionary<IMethodSymbol, IReadOnlyList<(BodyFacts Caller, CallFact Call)>?> _byName = new(SymbolEqualityComparer.Default);

    public CallersIndex(LockModel model) => _model = model;

    /// <summary>How many times the whole-compilation index was built (a test hook: 0 when every question was
    /// answered by name).</summary>
    internal bool WholeBuilt => Volatile.Read(ref _whole) is not null;

    public IReadOnlyList<(BodyFacts Caller, CallFact Call)> CallersOf(IMethodSymbol method, CancellationToken cancellationToken)
    {
        var key = MethodKey.Of(method);
        return CallersByName(key, cancellationToken) ?? WholeIndex(cancellationToken).CallersOf(key);
    }

    /// <summary>A method passed as a release callback: it runs as the last user of its object. Only a method
    /// that escapes as a delegate can be passed as one.</summary>
    public bool IsReleaseCallback(IMethodSymbol method, CancellationToken cancellationToken)
    {
        var key = MethodKey.Of(method);
        return CallersByName(key, cancellationToken) is null && WholeIndex(cancellationToken).IsReleaseCallback(key);
    }

    private IReadOnlyList<(BodyFacts, CallFact)>? CallersByName(IMethodSymbol key, CancellationToken cancellationToken)
        => _byName.TryGetValue(key, out var known) ? known : _byName.GetOrAdd(key, ByName(key, cancellationToken));

    private Whole WholeIndex(CancellationToken cancellationToken)
    {
        lock (_fullGate)
        {
            return _whole ??= new Whole(_model, cancellationToken);
        }
    }

    /// <summary>The callers of a method that can only be called by name, from the bodies that name it; null when
    /// the method may run from a call that does not name it.</summary>
    private IReadOnlyList<(BodyFacts, CallFact)>? ByName(IMethodSymbol method, CancellationToken cancellationToken)
    {
        var names = CallNames(method);
        if (names is null || RunsAsContinuation(method, cancellationToken))
        {
            return null;
        }

        var owners = new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default);
        foreach (var (tree, span) in Scope(method, cancellationToken))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var index = NameIndex.Of(tree, cancellationToken);
            SemanticModel? semantic = null;
            foreach (var text in names)
            {
                foreach (var name in index.NamesOf(text, span, cancellationToken))
                {
                    semantic ??= ReadingModels.For(_model.Compilation, tree);
                    if (!NameUse.IsInvoked(name))
                    {
                        if (method.MethodKind == MethodKind.Ordinary && MayBeMethodGroup(semantic, name, cancellationToken))
                        {
                            return null; // The method may be converted to a delegate here: it can run from anywhere.
                        }

                        if (method.MethodKind == MethodKind.Ordinary)
                        {
                            continue;
                        }
                    }

                    if (!MayRun(semantic, name, method, cancellationToken))
                    {
                        continue; // A call of another method with the same name.
                    }

                    if (Owner(semantic.GetEnclosingSymbol(name.SpanStart, cancellationToken)) is { } owner)
                    {
                        owners.Add(owner);
                    }
                }
            }
        }

        var callers = new List<(BodyFacts, CallFact)>();
        foreach (var owner in owners)
        {
            foreach (var body in _model.GetFacts(owner, null, cancellationToken).Bodies)
            {
                foreach (var call in body.Calls)
                {
                    if (_model.Summaries.CalleesOf(call, cancellationToken).Any(c => SymbolEqualityComparer.Default.Equals(MethodKey.Of(c.Method), method)))
                    {
                        callers.Add((body, call));
                    }
                }
            }
        }

        return callers;
    }

    /// <summary>Where a call of the method can be written: a private member, or a member of a private type, only
    /// inside the declarations of the type that can see it; anything else, anywhere in the compilation. A method
    /// reached by dispatch (it overrides, is virtual, or implements an interface member, explicitly or not) can be
    /// called through the base or the interface from anywhere, whatever its own accessibility.</summary>
    private IEnumerable<(SyntaxTree Tree, Microsoft.CodeAnalysis.Text.TextSpan? Span)> Scope(IMethodSymbol method, CancellationToken cancellationToken)
    {
        INamedTypeSymbol? visibleIn = null;
        if (!IsDispatched(method))
        {
            visibleIn = method.DeclaredAccessibility == Accessibility.Private ? method.ContainingType : null;
            for (var type = method.ContainingType; type is not null; type = type.ContainingType)
            {
                if (type.DeclaredAccessibility == Accessibility.Private && type.ContainingType is { } outer)
                {
                    visibleIn = outer;
                }
            }
        }

        if (visibleIn is null || visibleIn.DeclaringSyntaxReferences.Length == 0)
        {
            foreach (var tree in _model.Compilation.SyntaxTrees)
            {
                yield return (tree, null);
            }

            yield break;
        }

        // Only this compilation's declarations: another source project's have no semantic model here.
        foreach (var reference in visibleIn.DeclaringSyntaxReferences.Where(r => _model.Compilation.ContainsSyntaxTree(r.SyntaxTree)))
        {
            yield return (reference.SyntaxTree, reference.GetSyntax(cancellationToken).Span);
        }
    }

    private static bool IsDispatched(IMethodSymbol method)
    {
        ISymbol member = method.AssociatedSymbol ?? method;
        return member.IsOverride || member.IsVirtual || member.IsAbstract
               || member.ContainingType.AllInterfaces.SelectMany(i => i.GetMembers(member switch
               {
                   _ when method.ExplicitInterfaceImplementations.Length > 0 => method.ExplicitInterfaceImplementations[0].Name,
                   IPropertySymbol { ExplicitInterfaceImplementations.Length: > 0 } p => p.ExplicitInterfaceImplementations[0].Name,
                   IEventSymbol { ExplicitInterfaceImplementations.Length: > 0 } e => e.ExplicitInterfaceImplementations[0].Name,
                   _ => member.Name,
               })).Any(m => SymbolEqualityComparer.Default.Equals(member.ContainingType.FindImplementationForInterfaceMember(m)?.OriginalDefinition, member.OriginalDefinition));
    }

    /// <summary>The names a call of the method is written with (its own, the interface members it implements
    /// explicitly, its property's or event's); null for a method that calls do not name (lambdas, local functions,
    /// operators, indexers, constructors, finalizers).</summary>
    private static HashSet<string>? CallNames(IMethodSymbol method)
    {
        if (ImplicitlyCalled.Contains(method.AssociatedSymbol?.Name ?? method.Name))
        {
            return null;
        }

        switch (method.MethodKind)
        {
            case MethodKind.Ordinary:
                return Names(method.ExplicitInterfaceImplementations.Length == 0 ? new[] { method.Name } : method.ExplicitInterfaceImplementations.Select(m => m.Name));
            case MethodKind.ExplicitInterfaceImplementation:
                return Names(method.ExplicitInterfaceImplementations.Select(m => m.Name));
            case MethodKind.PropertyGet or MethodKind.PropertySet when method.AssociatedSymbol is IPropertySymbol { IsIndexer: false } property:
                return Names(property.ExplicitInterfaceImplementations.Length == 0 ? new[] { property.Name } : property.ExplicitInterfaceImplementations.Select(p => p.Name));
            case MethodKind.EventAdd or MethodKind.EventRemove when method.AssociatedSymbol is IEventSymbol e:
                return Names(e.ExplicitInterfaceImplementations.Length == 0 ? new[] { e.Name } : e.ExplicitInterfaceImplementations.Select(x => x.Name));
            default:
                return null;
        }

        static HashSet<string>? Names(IEnumerable<string> names)
        {
            var set = new HashSet<string>(names, System.StringComparer.Ordinal);
            return set.Count == 0 ? null : set;
        }
    }

    /// <summary>Names the language calls without writing them: <c>using</c> and <c>foreach</c> (Dispose,
    /// GetEnumerator, MoveNext, Current), collection initializers (Add), <c>await</c> (GetAwaiter, IsCompleted,
    /// GetResult, OnCompleted), deconstruction, query expressions, list and index patterns (Count, Length, Slice),
    /// <c>fixed</c> (GetPinnableReference). A method with one of these names may be called from code that does
    /// not name it.</summary>
    private static readonly HashSet<string> ImplicitlyCalled = new(System.StringComparer.Ordinal)
    {
        "Dispose", "DisposeAsync", "GetEnumerator", "GetAsyncEnumerator", "MoveNext", "MoveNextAsync", "Current", "Add",
        "GetAwaiter", "IsCompleted", "GetResult", "OnCompleted", "UnsafeOnCompleted", "Deconstruct",
        "Select", "SelectMany", "Where", "OrderBy", "OrderByDescending", "ThenBy", "ThenByDescending", "GroupBy", "Join", "GroupJoin", "Cast",
        "Count", "Length", "Slice", "GetPinnableReference", "Invoke", "Equals", "GetHashCode", "ToString",
    };

    /// <summary>The method awaits a member's task (<c>await _tcs.Task</c>): the rest of it runs as that task's
    /// continuation, from whoever completes it.</summary>
    private static bool RunsAsContinuation(IMethodSymbol method, CancellationToken cancellationToken)
        => method.DeclaringSyntaxReferences.Any(r => r.GetSyntax(cancellationToken).DescendantNodes().OfType<AwaitExpressionSyntax>().Any(a =>
            (a.Expression is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "ConfigureAwait", Expression: var inner } } ? inner : a.Expression)
            is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Task" }));

    /// <summary>Whether what the name binds to may run the method: the method (or its property or event) itself,
    /// one it overrides or an interface member it implements. A name that does not bind is taken to.</summary>
    private static bool MayRun(SemanticModel semantic, SimpleNameSyntax name, IMethodSymbol method, CancellationToken cancellationToken)
    {
        var expression = NameUse.Expression(name);
        var node = method.MethodKind == MethodKind.Ordinary && expression.Parent is InvocationExpressionSyntax invocation ? invocation : expression;
        var info = semantic.GetSymbolInfo(node, cancellationToken);
        var bound = info.Symbol is { } symbol ? new[] { symbol } : info.CandidateSymbols.ToArray();
        if (bound.Length == 0)
        {
            return true;
        }

        ISymbol self = method.MethodKind == MethodKind.Ordinary ? method : method.AssociatedSymbol ?? method;
        return bound.Any(b => Relates(self, b is IMethodSymbol { ReducedFrom: { } reduced } ? reduced : b));
    }

    private static bool Relates(ISymbol self, ISymbol bound)
    {
        bound = bound.OriginalDefinition;
        for (var s = self; s is not null; s = Overridden(s))
        {
            if (SymbolEqualityComparer.Default.Equals(s.OriginalDefinition, bound) || Implements(s, bound))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The member is its type's implementation of the interface member.</summary>
    private static bool Implements(ISymbol member, ISymbol interfaceMember)
        => interfaceMember.ContainingType is { TypeKind: TypeKind.Interface } face
           && member.ContainingType.AllInterfaces.Where(i => SymbolEqualityComparer.Default.Equals(i.OriginalDefinition, face))
               .SelectMany(i => i.GetMembers(interfaceMember.Name))
               .Any(m => SymbolEqualityComparer.Default.Equals(m.OriginalDefinition, interfaceMember)
                         && SymbolEqualityComparer.Default.Equals(member.ContainingType.FindImplementationForInterfaceMember(m)?.OriginalDefinition, member.OriginalDefinition));

    private static ISymbol? Overridden(ISymbol symbol) => symbol switch
    {
        IMethodSymbol m => m.OverriddenMethod,
        IPropertySymbol p => p.OverriddenProperty,
        IEventSymbol e => e.OverriddenEvent,
        _ => null,
    };

    /// <summary>A mention that is not a call and may stand for a method group (anything but <c>nameof</c> and
    /// what binds to something other than a method).</summary>
    private static bool MayBeMethodGroup(SemanticModel semantic, SimpleNameSyntax name, CancellationToken cancellationToken)
    {
        if (NameUse.InNameof(name))
        {
            return false;
        }

        var info = semantic.GetSymbolInfo(NameUse.Expression(name), cancellationToken);
        return info.Symbol is null ? info.CandidateSymbols.Length == 0 || info.CandidateSymbols.Any(s => s is IMethodSymbol) : info.Symbol is IMethodSymbol;
    }

    /// <summary>The member whose facts hold the code at a position: lambdas and local functions are analysed with
    /// the member that contains them. Null for code outside a method (a field initializer).</summary>
    private IMethodSymbol? Owner(ISymbol? symbol)
    {
        while (symbol is IMethodSymbol { MethodKind: MethodKind.AnonymousFunction or MethodKind.LocalFunction })
        {
            symbol = symbol.ContainingSymbol;
        }

        return symbol is IMethodSymbol method && MethodKey.HasBody(method, _model.Compilation) ? MethodKey.Of(method) : null;
    }

    /// <summary>Every body of the compilation, analysed once: the callers of each method that a call may run.</summary>
    private sealed class Whole
    {
        private readonly Dictionary<IMethodSymbol, List<(BodyFacts Caller, CallFact Call)>> _callers = new(SymbolEqualityComparer.Default);
        private readonly HashSet<IMethodSymbol> _releaseCallbacks = new(SymbolEqualityComparer.Default);

        public Whole(LockModel model, CancellationToken cancellationToken)
        {
            foreach (var method in SourceMethods(model.Compilation))
            {
                cancellationToken.ThrowIfCancellationRequested();
                foreach (var body in model.GetFacts(method, null, cancellationToken).Bodies)
                {
                    foreach (var call in body.Calls)
                    {
                        foreach (var callee in model.Summaries.CalleesOf(call, cancellationToken))
                        {
                            var key = MethodKey.Of(callee.Method);
                            if (!_callers.TryGetValue(key, out var list))
                            {
                                _callers[key] = list = new List<(BodyFacts, CallFact)>();
                            }

                            list.Add((body, call));
                        }

                        if (call.Target is { } target && model.Knowledge.RunsReleaseCallbacks(target))
                        {
                            foreach (var argument in call.Targets.DelegateArguments)
                            {
                                _releaseCallbacks.Add(MethodKey.Of(argument.Target));
                            }
                        }
                    }
                }
            }
        }

        public IReadOnlyList<(BodyFacts Caller, CallFact Call)> CallersOf(IMethodSymbol key)
            => _callers.TryGetValue(key, out var list) ? list : (IReadOnlyList<(BodyFacts, CallFact)>)System.Array.Empty<(BodyFacts, CallFact)>();

        public bool IsReleaseCallback(IMethodSymbol key) => _releaseCallbacks.Contains(key);
    }

    /// <summary>Every method, accessor and constructor declared in the compilation's source.</summary>
    public static IEnumerable<IMethodSymbol> SourceMethods(Compilation compilation)
    {
        var stack = new Stack<INamespaceOrTypeSymbol>();
        stack.Push(compilation.Assembly.GlobalNamespace);
        while (stack.Count > 0)
        {
            foreach (var member in stack.Pop().GetMembers())
            {
                switch (member)
                {
                    case INamespaceOrTypeSymbol nested:
                        stack.Push(nested);
                        break;
                    case IMethodSymbol { IsAbstract: false, IsExtern: false, DeclaringSyntaxReferences.Length: > 0, PartialDefinitionPart: null } method:
                        yield return method;
                        break;
                }
            }
        }
    }
}
