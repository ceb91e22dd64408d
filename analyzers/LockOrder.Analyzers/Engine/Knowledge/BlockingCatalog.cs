using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Runtime.CompilerServices;
using LockOrder.Hierarchy;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace LockOrder.Engine.Knowledge;

/// <summary>One line of the blocking catalog: a type and the members of it that may block or sleep.</summary>
/// <param name="Type">Namespace-qualified, nested types joined with '.'.</param>
/// <param name="Members">Method names; empty means every method of the type.</param>
internal sealed record BlockingApi(string Type, ImmutableArray<string> Members)
{
    /// <summary>Also every type derived from <see cref="Type"/> (a family: <c>Stream</c>, <c>WaitHandle</c>).</summary>
    public bool AndDerived { get; init; }

    /// <summary>The members are properties whose getter blocks (<c>Task&lt;T&gt;.Result</c>), on the generic type of
    /// this arity only.</summary>
    public int? PropertiesOfArity { get; init; }

    public bool EveryMethod => Members.IsEmpty;
}

/// <summary>
/// Calls that may block or sleep: the built-in catalog of .NET waits and synchronous I/O (one line per API, below),
/// plus the table's <c>blocking</c> list and the <c>lockorder.blocking_methods</c> option; with
/// <c>lockorder.unknown_calls_may_sleep</c>, every other method without source too. Resolved to symbols once per compilation; a call is matched by its
/// method's symbol (and the methods it overrides), never by rebuilding names. Lock acquisitions are judged by the
/// engine (a sleeping lock class), not here.
/// </summary>
internal sealed class BlockingCatalog
{
    public static readonly ImmutableArray<BlockingApi> BuiltIn = ImmutableArray.Create(
        Methods("System.Threading.Thread", "Sleep", "Join"),
        Methods("System.Threading.Tasks.Task", "Wait", "WaitAll", "WaitAny", "RunSynchronously"),
        new BlockingApi("System.Threading.Tasks.Task", ImmutableArray.Create("Result")) { PropertiesOfArity = 1 },
        Methods("System.Runtime.CompilerServices.TaskAwaiter", "GetResult"),
        Methods("System.Runtime.CompilerServices.ValueTaskAwaiter", "GetResult"),
        Methods("System.Runtime.CompilerServices.ConfiguredTaskAwaitable.ConfiguredTaskAwaiter", "GetResult"),
        Methods("System.Runtime.CompilerServices.ConfiguredValueTaskAwaitable.ConfiguredValueTaskAwaiter", "GetResult"),
        Methods("System.Threading.SemaphoreSlim", "Wait"),
        Methods("System.Threading.ManualResetEventSlim", "Wait"),
        Methods("System.Threading.CountdownEvent", "Wait"),
        Methods("System.Threading.Barrier", "SignalAndWait"),
        Methods("System.Threading.Monitor", "Wait"),
        Methods("System.Collections.Concurrent.BlockingCollection", "Add", "Take", "TakeFromAny", "AddToAny", "GetConsumingEnumerable"),
        Methods("System.IO.File"),
        Methods("System.IO.Directory"),
        Methods("System.Net.Sockets.Socket", "Accept", "Connect", "Receive", "Send", "ReceiveFrom", "SendTo", "Poll", "Select", "Disconnect", "SendFile", "ReceiveMessageFrom"),
        Methods("System.Net.Sockets.TcpClient", "Connect"),
        Methods("System.Net.Sockets.TcpListener", "AcceptSocket", "AcceptTcpClient"),
        Methods("System.Net.Http.HttpClient", "Send"),
        Methods("System.Console", "Read", "ReadLine", "ReadKey"),
        Methods("System.Diagnostics.Process", "WaitForExit", "WaitForInputIdle"),
        Methods("System.Threading.Tasks.Parallel"),
        Family("System.Threading.WaitHandle", "WaitOne", "WaitAll", "WaitAny", "SignalAndWait"),
        Family("System.IO.Stream", "Read", "Write", "ReadByte", "WriteByte", "Flush", "CopyTo", "ReadExactly", "ReadAtLeast", "SetLength"),
        Family("System.IO.TextReader", "Read", "ReadLine", "ReadToEnd", "ReadBlock", "Peek"),
        Family("System.IO.TextWriter", "Write", "WriteLine", "Flush"));

    private readonly Dictionary<INamedTypeSymbol, BlockingApi> _exact = new(SymbolEqualityComparer.Default);
    private readonly Dictionary<INamedTypeSymbol, BlockingApi> _families = new(SymbolEqualityComparer.Default);
    private readonly Dictionary<INamedTypeSymbol, BlockingApi> _properties = new(SymbolEqualityComparer.Default);
    private readonly HashSet<IMethodSymbol> _declared = new(SymbolEqualityComparer.Default);
    private readonly HashSet<IPropertySymbol> _declaredProperties = new(SymbolEqualityComparer.Default);
    private readonly bool _unknownMaySleep;

    public BlockingCatalog(Compilation compilation, LockTable table, LockOptions? options = null)
    {
        options ??= LockOptions.Default;
        _unknownMaySleep = options.UnknownCallsMaySleep;
        foreach (var api in BuiltIn)
        {
            foreach (var type in SymbolResolver.All(compilation, api.Type).OfType<INamedTypeSymbol>())
            {
                if (api.PropertiesOfArity is { } arity)
                {
                    if (type.Arity == arity)
                    {
                        _properties[type] = api;
                    }
                }
                else
                {
                    (api.AndDerived ? _families : _exact)[type] = api;
                }
            }
        }

        foreach (var name in table.Blocking.Select(b => b.Value).Concat(options.BlockingMethods))
        {
            var symbols = SymbolResolver.All(compilation, name);
            _declared.UnionWith(symbols.OfType<IMethodSymbol>().Select(m => m.OriginalDefinition));
            _declaredProperties.UnionWith(symbols.OfType<IPropertySymbol>().Select(p => p.OriginalDefinition));
        }
    }

    /// <summary>Returns a display name ("Thread.Sleep") when the operation may block or sleep. A wait given a
    /// constant zero timeout polls: it does not block.</summary>
    public string? Blocking(IOperation operation) => operation switch
    {
        IInvocationOperation invocation when !Polls(invocation) => Blocking(invocation.TargetMethod) ?? Unknown(invocation.TargetMethod),
        IPropertyReferenceOperation property when _properties.TryGetValue(property.Property.ContainingType.OriginalDefinition, out var api)
            && api.Members.Contains(property.Property.Name)
            => property.Property.ContainingType.Name + "<T>." + property.Property.Name,
        IPropertyReferenceOperation property when _declaredProperties.Contains(property.Property.OriginalDefinition)
            => property.Property.ContainingType.Name + "." + property.Property.Name,
        _ => null,
    };

    /// <summary>With <c>lockorder.unknown_calls_may_sleep</c>: a method without source (not a delegate's Invoke).</summary>
    private string? Unknown(IMethodSymbol method)
        => _unknownMaySleep && method.DeclaringSyntaxReferences.IsEmpty && method.MethodKind != MethodKind.DelegateInvoke
            ? method.ContainingType.Name + "." + method.Name + " (no source; lockorder.unknown_calls_may_sleep)"
            : null;

    [MethodImpl(Jit.Optimized)]
    public string? Blocking(IMethodSymbol method)
    {
        for (var m = method.OriginalDefinition; m is not null; m = m.OverriddenMethod?.OriginalDefinition)
        {
            if (_declared.Contains(m)
                || _exact.TryGetValue(m.ContainingType.OriginalDefinition, out var api) && (api.EveryMethod || api.Members.Contains(m.Name)))
            {
                return m.ContainingType.Name + "." + m.Name;
            }
        }

        for (var type = method.ContainingType; type is not null; type = type.BaseType)
        {
            if (_families.TryGetValue(type.OriginalDefinition, out var api) && api.Members.Contains(method.Name))
            {
                return method.ContainingType.Name + "." + method.Name;
            }
        }

        return null;
    }

    private static bool Polls(IInvocationOperation invocation)
    {
        // A loop, not Any: every recorded call asks, and Any would box the arguments' enumerator.
        foreach (var a in invocation.Arguments)
        {
            if (a.Parameter is { RefKind: RefKind.None } p && p.Name.IndexOf("timeout", System.StringComparison.OrdinalIgnoreCase) >= 0
                && a.ArgumentKind != ArgumentKind.DefaultValue && a.Value.ConstantValue is { HasValue: true, Value: 0 })
            {
                return true;
            }
        }

        return false;
    }

    private static BlockingApi Methods(string type, params string[] members) => new(type, members.ToImmutableArray());

    private static BlockingApi Family(string type, params string[] members) => new(type, members.ToImmutableArray()) { AndDerived = true };
}
