using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Runtime.CompilerServices;
using LockOrder.Engine.Model;
using LockOrder.Hierarchy;
using Microsoft.CodeAnalysis;

namespace LockOrder.Engine.Knowledge;

/// <summary>What a semaphore is made as.</summary>
internal enum PermitKind
{
    /// <summary>Not known (not a member, or assigned something other than a creation).</summary>
    Unknown,

    /// <summary>One permit, at most one: a lock.</summary>
    Binary,

    /// <summary>One permit to start with, more allowed: a lock where one body waits and releases it.</summary>
    OneInitially,

    /// <summary>Any other count (0: a signal; N: a limit on concurrency): never a lock.</summary>
    Counting,
}

/// <summary>
/// What LockOrder knows about the APIs and symbols of one compilation, resolved once from the built-in lists and
/// the table: which types are locks and what their members do (<see cref="LockApi"/>), which calls block
/// (<see cref="BlockingCatalog"/>), which methods run their delegate arguments or free objects, which members a
/// lock protects, which row binds a lock. Everything is matched by symbol; nothing rebuilds names per call.
/// </summary>
internal sealed class LockKnowledge
{
    /// <summary>Framework methods that run their delegate arguments before returning.</summary>
    public static readonly ImmutableArray<string> BuiltInInvokers = ImmutableArray.Create(
        "System.Collections.Generic.List.ForEach",
        "System.Array.ForEach",
        "System.Array.Sort",
        "System.Collections.Generic.List.Sort",
        "System.Collections.Generic.List.RemoveAll",
        "System.Collections.Generic.List.Find",
        "System.Collections.Generic.List.FindAll",
        "System.Collections.Generic.List.Exists",
        "System.Collections.Generic.List.TrueForAll",
        "System.Collections.Concurrent.ConcurrentDictionary.GetOrAdd",
        "System.Collections.Concurrent.ConcurrentDictionary.AddOrUpdate",
        "System.Threading.LazyInitializer.EnsureInitialized",
        "System.Threading.CancellationToken.Register",
        "System.Threading.CancellationToken.UnsafeRegister");

    private readonly Dictionary<INamedTypeSymbol, LockApi> _apisByType = new(SymbolEqualityComparer.Default);
    private readonly Dictionary<IMethodSymbol, LockApi> _wrappers = new(SymbolEqualityComparer.Default);
    private readonly HashSet<INamedTypeSymbol> _customTypes = new(SymbolEqualityComparer.Default);
    private readonly HashSet<IMethodSymbol> _invokers;
    private readonly HashSet<IMethodSymbol> _tableInvokers;
    private readonly HashSet<IMethodSymbol> _frees;
    // The table's 'symbol' and 'protects' entries are kept by their qualified names in the table itself
    // (LockTable.BySymbol and ProtectedBy, the one naming scheme of SymbolNames, read once per table text) and matched
    // against a symbol's name when the engine first meets the symbol: a table that names thousands of members costs
    // nothing until the code touches them, and nothing is resolved eagerly per compilation.
    private readonly ConcurrentDictionary<ISymbol, LockDecl?> _protectedBy = new(SymbolEqualityComparer.Default);
    private readonly HashSet<(IMethodSymbol, LockDecl)> _inits = new();
    private readonly ConcurrentDictionary<LockIdentity, LockClass> _classes = new();

    private readonly ConcurrentDictionary<LockClass, PermitKind> _permits = new();

    public LockKnowledge(Compilation compilation, LockTable table, LockOptions? options = null)
    {
        options ??= LockOptions.Default;
        Table = table;
        Constructions = new Constructions(compilation);
        Catalog = new BlockingCatalog(compilation, table, options);
        foreach (var api in LockApi.BuiltIn)
        {
            foreach (var type in SymbolResolver.All(compilation, api.Type).OfType<INamedTypeSymbol>())
            {
                _apisByType[type] = api;
            }
        }

        foreach (var primitive in table.Primitives)
        {
            var api = LockApi.FromTable(primitive);
            foreach (var type in SymbolResolver.All(compilation, primitive.Type.Value).OfType<INamedTypeSymbol>())
            {
                _customTypes.Add(type);
                _apisByType.TryAdd(type, api);
            }

            foreach (var member in api.Members.Where(m => m.Target == LockTarget.FirstArgument))
            {
                foreach (var wrapper in Methods(compilation, member.Name).Where(m => m.IsStatic))
                {
                    _wrappers.TryAdd(wrapper, api);
                }
            }
        }

        _tableInvokers = new HashSet<IMethodSymbol>(table.Invokes.SelectMany(i => Methods(compilation, i.Value)), SymbolEqualityComparer.Default);
        _invokers = new HashSet<IMethodSymbol>(BuiltInInvokers.Concat(options.InvokerMethods).SelectMany(i => Methods(compilation, i)).Concat(_tableInvokers), SymbolEqualityComparer.Default);
        _frees = new HashSet<IMethodSymbol>(table.Frees.SelectMany(i => Methods(compilation, i.Value)), SymbolEqualityComparer.Default);
        foreach (var decl in table.Locks)
        {
            foreach (var init in decl.Init)
            {
                foreach (var method in Methods(compilation, init.Value))
                {
                    _inits.Add((method, decl));
                }
            }
        }
    }

    public LockTable Table { get; }

    public BlockingCatalog Catalog { get; }

    /// <summary>How the compilation creates the lock objects its fields and properties hold.</summary>
    public Constructions Constructions { get; }

    /// <summary>What a semaphore lock class is, from how its field or property is created.</summary>
    public PermitKind PermitsOf(LockClass lockClass, System.Threading.CancellationToken cancellationToken)
        => lockClass.Api.Permits is not { } permits ? PermitKind.Unknown : _permits.GetOrAdd(lockClass, c =>
        {
            if (c.Identity is not LockIdentity.Member member || Constructions.Of(member.Symbol, cancellationToken) is not { } creations)
            {
                return PermitKind.Unknown;
            }

            var kinds = creations.Select(creation =>
                creation.Argument(permits.Initial) is not 1 ? PermitKind.Counting
                : creation.Argument(permits.Maximum) is 1 ? PermitKind.Binary
                : PermitKind.OneInitially).Distinct().ToList();
            return kinds.Count == 1 ? kinds[0] : kinds.Contains(PermitKind.Counting) ? PermitKind.Counting : PermitKind.OneInitially;
        });

    /// <summary>Members the table says a lock protects exist in this compilation.</summary>
    public bool HasProtectedMembers => Table.ProtectedBy.Count > 0;

    /// <summary>The lock API a method belongs to and the member it is, with the lock's place; null for other methods.</summary>
    public (LockApi Api, LockApiMember Member)? LockMember(IMethodSymbol method, ITypeSymbol? receiverType)
    {
        if (method.IsStatic && _wrappers.TryGetValue(method.OriginalDefinition, out var wrapperApi)
            && wrapperApi.Member(SymbolNames.Member(method)) is { } wrapper)
        {
            return (wrapperApi, wrapper);
        }

        // A member of the API's own type, or of a base type called on it (Mutex.WaitOne is WaitHandle's).
        if (_apisByType.TryGetValue(method.ContainingType.OriginalDefinition, out var api)
            || receiverType is INamedTypeSymbol receiver && _apisByType.TryGetValue(receiver.OriginalDefinition, out api) && !IsCustom(receiver))
        {
            if (api.Member(method.Name) is { } member && (member.Target == LockTarget.FirstArgument) == method.IsStatic)
            {
                return (api, member);
            }
        }

        return null;
    }

    /// <summary>The lock API of a type (built-in or from the table), if it is one.</summary>
    public LockApi? ApiOf(ITypeSymbol? type)
        => type is INamedTypeSymbol named && _apisByType.TryGetValue(named.OriginalDefinition, out var api) ? api : null;

    /// <summary>True for a method that implements a declared custom primitive (its body is not analysed).</summary>
    public bool IsPrimitiveImplementation(ISymbol owner)
    {
        for (var type = owner.ContainingType; type is not null; type = type.ContainingType)
        {
            if (_customTypes.Contains(type.OriginalDefinition))
            {
                return true;
            }
        }

        return owner is IMethodSymbol { IsStatic: true } m && _wrappers.ContainsKey(m.OriginalDefinition);
    }

    /// <summary>A method without source that runs its delegate arguments: built-in, or the table's <c>invokes</c>.</summary>
    public bool IsInvoker(IMethodSymbol method) => _invokers.Contains(method.OriginalDefinition);

    /// <summary>A method passed a release callback: the table's <c>invokes</c> and <c>frees</c>.</summary>
    public bool RunsReleaseCallbacks(IMethodSymbol method)
        => _tableInvokers.Contains(method.OriginalDefinition) || _frees.Contains(method.OriginalDefinition);

    /// <summary>A method of the table's <c>frees</c> list, or an override of one.</summary>
    public bool IsFree(IMethodSymbol method)
    {
        if (_frees.Count == 0)
        {
            return false;
        }

        for (var m = method.OriginalDefinition; m is not null; m = m.OverriddenMethod?.OriginalDefinition)
        {
            if (_frees.Contains(m))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The row whose lock protects a field or property, per the table's <c>protects</c>.</summary>
    [MethodImpl(Jit.Optimized)]
    public LockDecl? ProtectorOf(ISymbol member)
        => Table.ProtectedBy.Count == 0 || member is not (IFieldSymbol or IPropertySymbol or IEventSymbol) ? null
            : _protectedBy.TryGetValue(member.OriginalDefinition, out var known) ? known
            : _protectedBy.GetOrAdd(member.OriginalDefinition, m => Table.ProtectedBy.TryGetValue(SymbolNames.Qualified(m), out var decl) ? decl : null);

    /// <summary>One of a row's <c>init</c> functions: it runs before the object is shared.</summary>
    public bool IsInit(IMethodSymbol method, LockDecl row) => _inits.Count > 0 && _inits.Contains((method.OriginalDefinition, row));

    /// <summary>The lock class of an identity, interned: the first primitive it is seen with decides its defaults;
    /// a table row binding its symbol decides its name, row and kind.</summary>
    [MethodImpl(Jit.Optimized)]
    public LockClass ClassOf(LockIdentity identity, string codeName, LockApi api)
        => _classes.TryGetValue(identity, out var known) ? known : _classes.GetOrAdd(identity, id =>
        {
            var (sortKey, symbol) = id switch
            {
                LockIdentity.Member m => ("M:" + SymbolNames.Qualified(m.Symbol), m.Symbol),
                LockIdentity.Type t => ("T:" + SymbolNames.Qualified(t.Symbol), t.Symbol),
                LockIdentity.Parameter p => ("P:" + SymbolNames.Qualified(p.Symbol.ContainingSymbol) + "(" + p.Symbol.Name + ")", (ISymbol?)null),
                LockIdentity.Expression e => ("E:" + SymbolNames.Qualified(e.Owner) + ":" + e.Text, null),
                _ => (id.ToString(), null),
            };
            var decl = symbol is not null && Table.BySymbol.TryGetValue(SymbolNames.Qualified(symbol.OriginalDefinition), out var row) ? row : null;
            bool reentrant = api.Reentrant;
            if (api.RecursionPolicyParameter is { } policy && id is LockIdentity.Member member
                && Constructions.Of(member.Symbol, System.Threading.CancellationToken.None) is { } creations)
            {
                // LockRecursionPolicy.SupportsRecursion (1) on every creation of the member.
                reentrant = creations.All(c => c.Argument(policy) == 1);
            }

            return new LockClass(id, sortKey, codeName, decl, api, reentrant);
        });

    private bool IsCustom(INamedTypeSymbol type) => _customTypes.Contains(type.OriginalDefinition);

    private static IEnumerable<IMethodSymbol> Methods(Compilation compilation, string qualifiedName)
        => SymbolResolver.All(compilation, qualifiedName).OfType<IMethodSymbol>().Select(m => m.OriginalDefinition);
}
