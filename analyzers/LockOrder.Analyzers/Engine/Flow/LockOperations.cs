using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using LockOrder.Engine.Knowledge;
using LockOrder.Engine.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace LockOrder.Engine.Flow;

/// <summary>
/// Recognises lock operations (the lock statement as Roslyn lowers it, and every <see cref="LockApi"/> the
/// knowledge resolves) and names the lock class each one works on.
/// </summary>
internal sealed class LockOperations
{
    private readonly LockKnowledge _knowledge;

    public LockOperations(LockKnowledge knowledge) => _knowledge = knowledge;

    /// <summary>What an invocation does to a lock, or null when it is not a lock operation.</summary>
    [MethodImpl(Jit.Optimized)]
    public LockEvent? Recognize(IInvocationOperation invocation, BodyContext body)
    {
        if (_knowledge.LockMember(invocation.TargetMethod, invocation.Instance?.Type) is not var (api, member))
        {
            return null;
        }

        var lockExpression = member.Target switch
        {
            LockTarget.Receiver => invocation.Instance,
            LockTarget.FirstArgument => invocation.Arguments.Length > 0 ? invocation.Arguments[0].Value : null,
            _ => invocation.Instance is { } scope && body.ScopeOwner(scope) is { Instance: { } owner } ? owner : null,
        };
        if (lockExpression is null)
        {
            return null;
        }

        var lockRef = Name(lockExpression, body, api);
        if (api.Permits is not null && !IsLockHere(lockRef.Class, body))
        {
            return null;
        }

        bool timed = TimeoutArgument(invocation) is not null;
        LockEvent? lockEvent = member.Op switch
        {
            LockOp.Acquire => new LockEvent(LockEventKind.Acquire, lockRef, MayWait: !api.Spins, RefGuard: RefGuard(invocation)),
            LockOp.TryAcquire => new LockEvent(LockEventKind.TryAcquire, lockRef, MayWait: !api.Spins && HasTimeout(invocation), RefGuard: RefGuard(invocation)),
            LockOp.AcquireOrTryWhenTimed => timed
                ? new LockEvent(LockEventKind.TryAcquire, lockRef, MayWait: HasTimeout(invocation))
                : new LockEvent(LockEventKind.Acquire, lockRef, MayWait: true),
            LockOp.AsyncAcquire => timed ? null : new LockEvent(LockEventKind.Acquire, lockRef, MayWait: false, IsAsync: true),
            _ => new LockEvent(LockEventKind.Release, lockRef, MayWait: false),
        };
        return lockEvent is null ? null : lockEvent with { Mode = member.Mode };
    }

    /// <summary>
    /// Whether a semaphore is used as a lock in this body: always when it is made with one permit at most; never when
    /// made with another count (a signal, or a limit on concurrency: <c>while (signal.Wait(0)) { }</c> drains
    /// permits, it does not take a lock); otherwise when this body both waits on it and releases it.
    /// </summary>
    private bool IsLockHere(LockClass lockClass, BodyContext body)
    {
        switch (_knowledge.PermitsOf(lockClass, body.CancellationToken))
        {
            case PermitKind.Binary:
                return true;
            case PermitKind.Counting:
                return false;
        }

        if (body.BracketedSemaphores is null)
        {
            var waited = new HashSet<LockClass>();
            var released = new HashSet<LockClass>();
            foreach (var invocation in body.Invocations)
            {
                if (_knowledge.LockMember(invocation.TargetMethod, invocation.Instance?.Type) is ({ Permits: not null } api, var member) && invocation.Instance is { } receiver)
                {
                    (member.Op == LockOp.Release ? released : waited).Add(Name(receiver, body, api).Class);
                }
            }

            waited.IntersectWith(released);
            body.BracketedSemaphores = waited;
        }

        return body.BracketedSemaphores.Contains(lockClass);
    }

    /// <summary>
    /// A <c>lock</c> statement on a <c>System.Threading.Lock</c> that the compiler's flow graph leaves unlowered: with
    /// nullable annotations enabled, Roslyn (4.x and 5.x) builds an invalid operation for the lock expression instead
    /// of the <c>EnterScope()</c> call and the <c>Dispose()</c> in a finally, and inlines the body. The lock is taken
    /// here and held until control leaves the statement (<see cref="LockEvent.Scope"/>), exactly as the lowered form
    /// would hold it.
    /// </summary>
    public LockEvent? RecognizeUnloweredLockStatement(IInvalidOperation invalid, BodyContext body)
    {
        if (invalid.Syntax.Parent is not LockStatementSyntax statement || statement.Expression != invalid.Syntax
            || invalid.ChildOperations.FirstOrDefault() is not { } value
            || _knowledge.ApiOf(value.Type) is not { } api || api.Member("EnterScope") is not { Op: LockOp.Acquire })
        {
            return null;
        }

        return new LockEvent(LockEventKind.Acquire, Name(value, body, api), MayWait: !api.Spins) { Scope = statement };
    }

    /// <summary>Names the lock class of a lock expression, following flow captures and single-assignment locals.</summary>
    [MethodImpl(Jit.Optimized)]
    public LockRef Name(IOperation expression, BodyContext body, LockApi api)
    {
        switch (body.Unwrap(expression))
        {
            case IFieldReferenceOperation f:
                return new LockRef(
                    _knowledge.ClassOf(new LockIdentity.Member(f.Field.OriginalDefinition), f.Field.ContainingType.Name + "." + f.Field.Name, api),
                    f.Field.IsStatic ? AccessPath.Global.Instance : body.PathOf(f.Instance));
            case IPropertyReferenceOperation p:
                return new LockRef(
                    _knowledge.ClassOf(new LockIdentity.Member(p.Property.OriginalDefinition), p.Property.ContainingType.Name + "." + p.Property.Name, api),
                    p.Property.IsStatic ? AccessPath.Global.Instance : body.PathOf(p.Instance));
            case IInstanceReferenceOperation { Type: { } type }:
                return new LockRef(_knowledge.ClassOf(new LockIdentity.Type(type.OriginalDefinition), type.Name, api), AccessPath.This.Instance);
            case ITypeOfOperation t:
                return new LockRef(_knowledge.ClassOf(new LockIdentity.Type(t.TypeOperand.OriginalDefinition), "typeof(" + t.TypeOperand.Name + ")", api), AccessPath.Global.Instance);
            case IParameterReferenceOperation { Type: { } type } pr when IsUserType(type):
                return new LockRef(_knowledge.ClassOf(new LockIdentity.Type(type.OriginalDefinition), type.Name, api), body.PathOf(pr));
            case ILocalReferenceOperation { Type: { } type } lr when IsUserType(type):
                return new LockRef(_knowledge.ClassOf(new LockIdentity.Type(type.OriginalDefinition), type.Name, api), body.PathOf(lr));
            case IParameterReferenceOperation pr:
                return new LockRef(_knowledge.ClassOf(new LockIdentity.Parameter(pr.Parameter), pr.Parameter.Name, api), body.PathOf(pr));
            case ILocalReferenceOperation lr:
                // A local of a framework type or an interface: named by its text in this body, the instance by its path.
                return new LockRef(_knowledge.ClassOf(new LockIdentity.Expression(body.Owner, lr.Local.Name), lr.Local.Name, api), body.PathOf(lr));
            case var other:
                var text = other.Syntax.ToString();
                return new LockRef(_knowledge.ClassOf(new LockIdentity.Expression(body.Owner, text), text, api), null);
        }
    }

    /// <summary>A class or struct of the user's own, not the framework's.</summary>
    private static bool IsUserType(ITypeSymbol type)
    {
        if (type is not INamedTypeSymbol { SpecialType: SpecialType.None, TypeKind: TypeKind.Class or TypeKind.Struct } named)
        {
            return false;
        }

        var ns = named.ContainingNamespace;
        while (ns is { ContainingNamespace.IsGlobalNamespace: false })
        {
            ns = ns.ContainingNamespace;
        }

        return ns is null || ns.IsGlobalNamespace || ns.Name != "System";
    }

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

            bool timeoutType = p.Type.SpecialType == SpecialType.System_Int32 || p.Type is INamedTypeSymbol { Name: "TimeSpan", ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } };
            if (timeoutType && p.Name.IndexOf("timeout", System.StringComparison.OrdinalIgnoreCase) >= 0)
            {
                return arg.Value;
            }
        }

        return null;
    }
}
