using System.Collections.Generic;
using System.Threading;
using LockOrder.Engine.Flow;
using Microsoft.CodeAnalysis;

namespace LockOrder.Engine.Calls;

/// <summary>
/// Who calls what, over the whole compilation, from the same engine facts: for each method, lambda or local
/// function, the calls that may run it (directly, through virtual dispatch, or as a delegate argument its callee
/// invokes), with the locks held there; and the methods used as release callbacks (passed to a method of the
/// table's 'frees' or 'invokes' lists). Built once per compilation, on first use.
/// </summary>
internal sealed class CallersIndex
{
    private readonly Dictionary<IMethodSymbol, List<(BodyFacts Caller, CallFact Call)>> _callers = new(SymbolEqualityComparer.Default);
    private readonly HashSet<IMethodSymbol> _releaseCallbacks = new(SymbolEqualityComparer.Default);

    public CallersIndex(LockModel model, CancellationToken cancellationToken)
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

    public IReadOnlyList<(BodyFacts Caller, CallFact Call)> CallersOf(IMethodSymbol method)
        => _callers.TryGetValue(MethodKey.Of(method), out var list) ? list : (IReadOnlyList<(BodyFacts, CallFact)>)System.Array.Empty<(BodyFacts, CallFact)>();

    /// <summary>A method passed as a release callback: it runs as the last user of its object.</summary>
    public bool IsReleaseCallback(IMethodSymbol method) => _releaseCallbacks.Contains(MethodKey.Of(method));

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
