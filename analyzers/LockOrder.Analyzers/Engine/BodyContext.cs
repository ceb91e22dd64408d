using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace LockOrder.Engine;

/// <summary>
/// Per-body value facts the lock engine needs to name a lock object: what each flow capture holds and what
/// each local assigned exactly once holds.
/// </summary>
internal sealed class BodyContext
{
    private readonly Dictionary<CaptureId, IOperation> _captures = new();
    private readonly Dictionary<ILocalSymbol, IOperation?> _singleAssignments = new(SymbolEqualityComparer.Default);

    public BodyContext(ControlFlowGraph cfg, ISymbol owner)
    {
        Owner = owner;
        foreach (var block in cfg.Blocks)
        {
            foreach (var statement in block.Operations)
            {
                Collect(statement);
            }

            if (block.BranchValue is not null)
            {
                Collect(block.BranchValue);
            }
        }
    }

    public ISymbol Owner { get; }

    private void Collect(IOperation root)
    {
        foreach (var op in root.DescendantsAndSelf())
        {
            switch (op)
            {
                case IFlowCaptureOperation capture when !_captures.ContainsKey(capture.Id):
                    _captures.Add(capture.Id, capture.Value);
                    break;
                case ISimpleAssignmentOperation { Target: ILocalReferenceOperation local } assignment:
                    // A second assignment makes the local's value unknown.
                    _singleAssignments[local.Local] = _singleAssignments.ContainsKey(local.Local) ? null : assignment.Value;
                    break;
            }
        }
    }

    /// <summary>Strips conversions and flow captures, and follows locals assigned once from a field or 'this'.</summary>
    public IOperation Unwrap(IOperation operation) => Follow(operation, IsStableLockSource);

    /// <summary>See <see cref="CallFact.ObjectPaths"/>.</summary>
    public ImmutableArray<string?> ObjectPathsOf(IInvocationOperation invocation)
    {
        var paths = ImmutableArray.CreateBuilder<string?>(invocation.Arguments.Length + 2);
        var receiver = invocation.Instance is null ? null : StripCaptures(invocation.Instance);
        paths.Add(PathOf(receiver));
        paths.Add(receiver switch
        {
            IFieldReferenceOperation { Field.IsStatic: false } f => PathOf(f.Instance),
            IPropertyReferenceOperation { Property.IsStatic: false } p => PathOf(p.Instance),
            _ => null,
        });
        foreach (var argument in invocation.Arguments.OrderBy(a => a.Parameter?.Ordinal ?? int.MaxValue))
        {
            paths.Add(PathOf(argument.Value));
        }

        return paths.MoveToImmutable();
    }

    private IOperation StripCaptures(IOperation operation) => Follow(operation, followLocal: null);

    /// <summary>What a call may invoke through delegates (see <see cref="CallTargets"/>).</summary>
    public CallTargets TargetsOf(IInvocationOperation invocation)
    {
        IMethodSymbol? invoked = null;
        int invokedParameter = -1;
        ISymbol? invokedMember = null;
        if (invocation.TargetMethod.MethodKind == MethodKind.DelegateInvoke && invocation.Instance is not null)
        {
            var receiver = UnwrapValue(invocation.Instance);
            invoked = DelegateTarget(receiver);
            invokedParameter = OwnParameter(receiver);
            invokedMember = receiver switch
            {
                IFieldReferenceOperation f => f.Field.OriginalDefinition,
                IPropertyReferenceOperation p => p.Property.OriginalDefinition,
                _ => null,
            };
        }

        var arguments = ImmutableArray.CreateBuilder<DelegateArgument>();
        var forwarded = ImmutableArray.CreateBuilder<(int, int)>();
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter is null || argument.Parameter.Type.TypeKind != TypeKind.Delegate)
            {
                continue;
            }

            var value = UnwrapValue(argument.Value);
            if (DelegateTarget(value) is { } target)
            {
                arguments.Add(new DelegateArgument(argument.Parameter.Ordinal, target, argument.Value));
            }
            else if (OwnParameter(value) is int own and >= 0)
            {
                forwarded.Add((argument.Parameter.Ordinal, own));
            }
        }

        return invoked is null && invokedParameter < 0 && invokedMember is null && arguments.Count == 0 && forwarded.Count == 0
            ? CallTargets.None
            : new CallTargets(invoked, invokedParameter, arguments.ToImmutable(), forwarded.ToImmutable(), invokedMember);
    }

    private static IMethodSymbol? DelegateTarget(IOperation value) => value switch
    {
        IDelegateCreationOperation { Target: IMethodReferenceOperation method } => method.Method,
        IDelegateCreationOperation { Target: IFlowAnonymousFunctionOperation lambda } => lambda.Symbol,
        IDelegateCreationOperation { Target: IAnonymousFunctionOperation lambda } => lambda.Symbol,
        IMethodReferenceOperation method => method.Method,
        _ => null,
    };

    private int OwnParameter(IOperation value)
        => value is IParameterReferenceOperation p && SymbolEqualityComparer.Default.Equals(p.Parameter.ContainingSymbol, Owner) ? p.Parameter.Ordinal : -1;

    /// <summary>Strips conversions and flow captures and follows any local assigned once.</summary>
    private IOperation UnwrapValue(IOperation operation) => Follow(operation, _ => true);

    /// <summary>
    /// The one unwrapping loop: strips conversions and flow captures, and follows a local assigned exactly once
    /// when <paramref name="followLocal"/> accepts the value it was assigned. Bounded, for safety.
    /// </summary>
    private IOperation Follow(IOperation operation, System.Func<IOperation, bool>? followLocal)
    {
        var op = operation;
        for (int depth = 0; depth < 16; depth++)
        {
            switch (op)
            {
                case IConversionOperation conversion:
                    op = conversion.Operand;
                    continue;
                case IFlowCaptureReferenceOperation reference when _captures.TryGetValue(reference.Id, out var captured):
                    op = captured;
                    continue;
                case ILocalReferenceOperation local when followLocal is not null && AssignedOnce(local.Local) is { } value && followLocal(value):
                    op = value;
                    continue;
            }

            break;
        }

        return op;
    }

    /// <summary>The <c>Lock.EnterScope()</c> call a <c>Lock.Scope</c> value came from, if known.</summary>
    public IInvocationOperation? ScopeOwner(IOperation scope)
        => UnwrapValue(scope) is IInvocationOperation { TargetMethod.Name: "EnterScope" } invocation ? invocation : null;

    /// <summary>An access path naming the instance an expression denotes ("this", "p:cfid", "p:tcon.Cfids"), or null.</summary>
    public string? PathOf(IOperation? operation)
    {
        if (operation is null)
        {
            return null;
        }

        switch (StripCaptures(operation))
        {
            case IInstanceReferenceOperation:
                return "this";
            case IParameterReferenceOperation p:
                return "p:" + p.Parameter.Name;
            case ILocalReferenceOperation l:
                if (AssignedOnce(l.Local) is { } value && !(value is ILocalReferenceOperation) && PathOf(value) is { } valuePath)
                {
                    return valuePath;
                }

                return "l:" + l.Local.Name;
            case IFieldReferenceOperation f:
                return f.Field.IsStatic ? f.Field.ContainingType.Name + "." + f.Field.Name : PathOf(f.Instance) is { } fp ? fp + "." + f.Field.Name : null;
            case IPropertyReferenceOperation pr when pr.Property.Name != "Current":
                return pr.Property.IsStatic ? pr.Property.ContainingType.Name + "." + pr.Property.Name : PathOf(pr.Instance) is { } pp ? pp + "." + pr.Property.Name : null;
            default:
                return null;
        }
    }

    private IOperation? AssignedOnce(ILocalSymbol local)
        => _singleAssignments.TryGetValue(local, out var value) ? value : null;

    private static bool IsStableLockSource(IOperation value)
    {
        var v = value;
        while (v is IConversionOperation c)
        {
            v = c.Operand;
        }

        return v is IFieldReferenceOperation or IInstanceReferenceOperation
            || v is IPropertyReferenceOperation p && p.Property.Name != "Current";
    }
}
