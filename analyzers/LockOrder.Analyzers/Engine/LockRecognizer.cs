using System.Collections.Concurrent;
using System.Linq;
using LockOrder.Hierarchy;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace LockOrder.Engine;

internal enum LockEventKind
{
    Acquire,
    TryAcquire,
    Release,
}

/// <summary>What one invocation does to a lock.</summary>
internal sealed class LockEvent
{
    public LockEvent(LockEventKind kind, LockRef lockRef, bool mayWait, bool isAsync = false, ILocalSymbol? refGuard = null)
    {
        Kind = kind;
        Lock = lockRef;
        MayWait = mayWait;
        IsAsync = isAsync;
        RefGuard = refGuard;
    }

    public LockEventKind Kind { get; }
    public LockRef Lock { get; }

    /// <summary>The acquisition can block the thread (a plain acquire, or a try-lock with a timeout).</summary>
    public bool MayWait { get; }

    /// <summary>Taken through <c>SemaphoreSlim.WaitAsync</c>: held once the awaiting completes.</summary>
    public bool IsAsync { get; }

    /// <summary>The <c>ref bool lockTaken</c> argument, when there is one.</summary>
    public ILocalSymbol? RefGuard { get; }
}

/// <summary>
/// Recognises lock operations: the lock statement (as Roslyn lowers it), Monitor, System.Threading.Lock,
/// SpinLock, SemaphoreSlim, Mutex, ReaderWriterLockSlim, and the table's custom primitives; and names the lock
/// class each one works on.
/// </summary>
internal sealed class LockRecognizer
{
    private readonly LockTable _table;
    private readonly ConcurrentDictionary<string, LockClass> _classes = new(System.StringComparer.Ordinal);

    public LockRecognizer(LockTable table) => _table = table;

    public LockTable Table => _table;

    /// <summary>True for a method that implements a declared custom primitive (its body is not analysed).</summary>
    public bool IsPrimitiveImplementation(ISymbol owner)
    {
        for (var type = owner.ContainingType; type is not null; type = type.ContainingType)
        {
            if (_table.PrimitivesByType.ContainsKey(SymbolNames.Qualified(type)))
            {
                return true;
            }
        }

        return owner is IMethodSymbol m && FindStaticWrapper(m) is not null;
    }

    public LockEvent? Recognize(IInvocationOperation invocation, BodyContext body)
    {
        var method = invocation.TargetMethod;
        var typeName = SymbolNames.Qualified(method.ContainingType);
        var name = method.Name;
        var args = invocation.Arguments;
        switch (typeName)
        {
            case "System.Threading.Monitor":
                if (args.Length == 0)
                {
                    return null;
                }

                var monitorLock = Resolve(args[0].Value, body, LockPrimitive.Monitor);
                return name switch
                {
                    "Enter" => new LockEvent(LockEventKind.Acquire, monitorLock, mayWait: true, refGuard: RefGuard(invocation)),
                    "TryEnter" => new LockEvent(LockEventKind.TryAcquire, monitorLock, mayWait: HasTimeout(invocation), refGuard: RefGuard(invocation)),
                    "Exit" => new LockEvent(LockEventKind.Release, monitorLock, mayWait: false),
                    _ => null,
                };

            case "System.Threading.Lock":
                if (invocation.Instance is null)
                {
                    return null;
                }

                var threadingLock = Resolve(invocation.Instance, body, LockPrimitive.ThreadingLock);
                return name switch
                {
                    "Enter" or "EnterScope" => new LockEvent(LockEventKind.Acquire, threadingLock, mayWait: true),
                    "TryEnter" => new LockEvent(LockEventKind.TryAcquire, threadingLock, mayWait: HasTimeout(invocation)),
                    "Exit" => new LockEvent(LockEventKind.Release, threadingLock, mayWait: false),
                    _ => null,
                };

            case "System.Threading.Lock.Scope":
                if (name == "Dispose" && invocation.Instance is not null && body.ScopeOwner(invocation.Instance) is { } enterScope && enterScope.Instance is not null)
                {
                    return new LockEvent(LockEventKind.Release, Resolve(enterScope.Instance, body, LockPrimitive.ThreadingLock), mayWait: false);
                }

                return null;

            case "System.Threading.SpinLock":
                if (invocation.Instance is null)
                {
                    return null;
                }

                var spin = Resolve(invocation.Instance, body, LockPrimitive.SpinLock);
                return name switch
                {
                    "Enter" => new LockEvent(LockEventKind.Acquire, spin, mayWait: false, refGuard: RefGuard(invocation)),
                    "TryEnter" => new LockEvent(LockEventKind.TryAcquire, spin, mayWait: false, refGuard: RefGuard(invocation)),
                    "Exit" => new LockEvent(LockEventKind.Release, spin, mayWait: false),
                    _ => null,
                };

            case "System.Threading.SemaphoreSlim":
                if (invocation.Instance is null)
                {
                    return null;
                }

                var sem = Resolve(invocation.Instance, body, LockPrimitive.SemaphoreSlim);
                bool timed = TimeoutArgument(invocation) is not null;
                return name switch
                {
                    "Wait" => new LockEvent(timed ? LockEventKind.TryAcquire : LockEventKind.Acquire, sem, mayWait: !timed || HasTimeout(invocation)),
                    "WaitAsync" when !timed => new LockEvent(LockEventKind.Acquire, sem, mayWait: false, isAsync: true),
                    "Release" => new LockEvent(LockEventKind.Release, sem, mayWait: false),
                    _ => null,
                };

            case "System.Threading.Mutex" or "System.Threading.WaitHandle" when IsMutex(invocation.Instance):
                var mutex = Resolve(invocation.Instance!, body, LockPrimitive.Mutex);
                return name switch
                {
                    "WaitOne" => new LockEvent(TimeoutArgument(invocation) is null ? LockEventKind.Acquire : LockEventKind.TryAcquire, mutex, mayWait: TimeoutArgument(invocation) is null || HasTimeout(invocation)),
                    "ReleaseMutex" => new LockEvent(LockEventKind.Release, mutex, mayWait: false),
                    _ => null,
                };

            case "System.Threading.ReaderWriterLockSlim":
                if (invocation.Instance is null)
                {
                    return null;
                }

                var rw = Resolve(invocation.Instance, body, LockPrimitive.ReaderWriterLockSlim);
                return name switch
                {
                    "EnterReadLock" or "EnterWriteLock" or "EnterUpgradeableReadLock" => new LockEvent(LockEventKind.Acquire, rw, mayWait: true),
                    "TryEnterReadLock" or "TryEnterWriteLock" or "TryEnterUpgradeableReadLock" => new LockEvent(LockEventKind.TryAcquire, rw, mayWait: HasTimeout(invocation)),
                    "ExitReadLock" or "ExitWriteLock" or "ExitUpgradeableReadLock" => new LockEvent(LockEventKind.Release, rw, mayWait: false),
                    _ => null,
                };
        }

        return RecognizeCustom(invocation, typeName, body);
    }

    private LockEvent? RecognizeCustom(IInvocationOperation invocation, string typeName, BodyContext body)
    {
        if (_table.Primitives.IsEmpty)
        {
            return null;
        }

        var method = invocation.TargetMethod;
        PrimitiveDecl? primitive;
        IOperation? lockExpression;
        if (!method.IsStatic && invocation.Instance is not null && _table.PrimitivesByType.TryGetValue(typeName, out primitive))
        {
            lockExpression = invocation.Instance;
            return CustomEvent(primitive, method.Name, lockExpression, invocation, body);
        }

        primitive = FindStaticWrapper(method);
        if (primitive is not null && invocation.Arguments.Length > 0)
        {
            return CustomEvent(primitive, SymbolNames.Member(method), invocation.Arguments[0].Value, invocation, body);
        }

        return null;
    }

    private LockEvent? CustomEvent(PrimitiveDecl primitive, string methodName, IOperation lockExpression, IInvocationOperation invocation, BodyContext body)
    {
        var lockRef = Resolve(lockExpression, body, LockPrimitive.Custom, primitive);
        if (primitive.Acquire.Any(a => a.Value == methodName))
        {
            return new LockEvent(LockEventKind.Acquire, lockRef, mayWait: true, refGuard: RefGuard(invocation));
        }

        if (primitive.TryAcquire.Any(a => a.Value == methodName))
        {
            return new LockEvent(LockEventKind.TryAcquire, lockRef, mayWait: HasTimeout(invocation), refGuard: RefGuard(invocation));
        }

        if (primitive.Release.Any(a => a.Value == methodName))
        {
            return new LockEvent(LockEventKind.Release, lockRef, mayWait: false);
        }

        return null;
    }

    /// <summary>A static method named (fully qualified) in a primitive's acquire/release/tryAcquire list: a
    /// wrapper like <c>spin_lock(l)</c> whose first argument is the lock.</summary>
    private PrimitiveDecl? FindStaticWrapper(IMethodSymbol method)
    {
        if (!method.IsStatic || _table.Primitives.IsEmpty)
        {
            return null;
        }

        var qualified = SymbolNames.Member(method);
        foreach (var p in _table.Primitives)
        {
            if (p.Acquire.Any(a => a.Value == qualified) || p.Release.Any(a => a.Value == qualified) || p.TryAcquire.Any(a => a.Value == qualified))
            {
                return p;
            }
        }

        return null;
    }

    /// <summary>Names the lock class of a lock expression, following flow captures and single-assignment locals.</summary>
    public LockRef Resolve(IOperation expression, BodyContext body, LockPrimitive primitive, PrimitiveDecl? custom = null)
    {
        var op = body.Unwrap(expression);
        string key;
        string codeName;
        switch (op)
        {
            case IFieldReferenceOperation f:
                key = SymbolNames.Qualified(f.Field.OriginalDefinition);
                codeName = f.Field.ContainingType.Name + "." + f.Field.Name;
                return new LockRef(Intern("M:" + key, key, codeName, primitive, custom), f.Field.IsStatic ? "static" : body.PathOf(f.Instance));
            case IPropertyReferenceOperation p:
                key = SymbolNames.Qualified(p.Property.OriginalDefinition);
                codeName = p.Property.ContainingType.Name + "." + p.Property.Name;
                return new LockRef(Intern("M:" + key, key, codeName, primitive, custom), p.Property.IsStatic ? "static" : body.PathOf(p.Instance));
            case IInstanceReferenceOperation i when i.Type is not null:
                key = SymbolNames.Qualified(i.Type);
                return new LockRef(Intern("T:" + key, key, i.Type.Name, primitive, custom), "this");
            case ITypeOfOperation t:
                key = SymbolNames.Qualified(t.TypeOperand);
                return new LockRef(Intern("T:" + key, key, "typeof(" + t.TypeOperand.Name + ")", primitive, custom), "static");
            case IParameterReferenceOperation pr when IsUserType(pr.Type):
                key = SymbolNames.Qualified(pr.Type!);
                return new LockRef(Intern("T:" + key, key, pr.Type!.Name, primitive, custom), body.PathOf(pr));
            case ILocalReferenceOperation lr when IsUserType(lr.Type):
                key = SymbolNames.Qualified(lr.Type!);
                return new LockRef(Intern("T:" + key, key, lr.Type!.Name, primitive, custom), body.PathOf(lr));
            case IParameterReferenceOperation pr:
                key = SymbolNames.Qualified(pr.Parameter.ContainingSymbol) + "(" + pr.Parameter.Name + ")";
                return new LockRef(Intern("P:" + key, null, pr.Parameter.Name, primitive, custom), body.PathOf(pr));
            default:
                var text = op.Syntax.ToString();
                key = SymbolNames.Qualified(body.Owner) + ":" + text;
                return new LockRef(Intern("E:" + key, null, text, primitive, custom), null);
        }
    }

    private LockClass Intern(string key, string? symbolName, string codeName, LockPrimitive primitive, PrimitiveDecl? custom)
        => _classes.GetOrAdd(key, _ =>
        {
            LockDecl? decl = null;
            if (symbolName is not null && _table.IsUsable)
            {
                _table.BySymbol.TryGetValue(symbolName, out decl);
            }

            var primitiveKind = primitive switch
            {
                LockPrimitive.SpinLock => LockKind.Spinlock,
                LockPrimitive.ReaderWriterLockSlim => LockKind.RwSem,
                LockPrimitive.Custom => custom!.Kind,
                _ => LockKind.Mutex,
            };
            var kind = decl?.Kind ?? primitiveKind;
            bool reentrant = primitive switch
            {
                LockPrimitive.Monitor or LockPrimitive.Mutex or LockPrimitive.ThreadingLock => true,
                LockPrimitive.Custom => custom!.Reentrant,
                _ => false,
            };
            return new LockClass(key, codeName, decl, kind, reentrant && kind != LockKind.Spinlock, primitive);
        });

    private static bool IsUserType(ITypeSymbol? type)
        => type is INamedTypeSymbol { SpecialType: SpecialType.None, TypeKind: TypeKind.Class or TypeKind.Struct } named
           && !SymbolNames.Qualified(named).StartsWith("System.", System.StringComparison.Ordinal);

    private static bool IsMutex(IOperation? instance)
        => instance?.Type is { } t && SymbolNames.Qualified(t) == "System.Threading.Mutex";

    private static ILocalSymbol? RefGuard(IInvocationOperation invocation)
    {
        foreach (var arg in invocation.Arguments)
        {
            if (arg.Parameter is { RefKind: RefKind.Ref or RefKind.Out, Type.SpecialType: SpecialType.System_Boolean } && arg.Value is ILocalReferenceOperation local)
            {
                return local.Local;
            }
        }

        return null;
    }

    /// <summary>A try-lock waits when it has a timeout argument other than the constant 0.</summary>
    private static bool HasTimeout(IInvocationOperation invocation)
        => TimeoutArgument(invocation) is { } timeout && !(timeout.ConstantValue.HasValue && timeout.ConstantValue.Value is 0);

    /// <summary>The timeout argument (an int or TimeSpan parameter named like a timeout), if the overload has one.</summary>
    private static IOperation? TimeoutArgument(IInvocationOperation invocation)
    {
        foreach (var arg in invocation.Arguments)
        {
            var p = arg.Parameter;
            if (p is null || p.RefKind != RefKind.None)
            {
                continue;
            }

            bool timeoutType = p.Type.SpecialType == SpecialType.System_Int32 || SymbolNames.Qualified(p.Type) == "System.TimeSpan";
            if (timeoutType && p.Name.IndexOf("timeout", System.StringComparison.OrdinalIgnoreCase) >= 0)
            {
                return arg.Value;
            }
        }

        return null;
    }
}
