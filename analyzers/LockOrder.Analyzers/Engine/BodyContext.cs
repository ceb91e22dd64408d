using System.Collections.Generic;
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
    public IOperation Unwrap(IOperation operation)
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
                case ILocalReferenceOperation local when AssignedOnce(local.Local) is { } value && IsStableLockSource(value):
                    op = value;
                    continue;
            }

            break;
        }

        return op;
    }

    /// <summary>The <c>Lock.EnterScope()</c> call a <c>Lock.Scope</c> value came from, if known.</summary>
    public IInvocationOperation? ScopeOwner(IOperation scope)
    {
        var op = scope;
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
                case ILocalReferenceOperation local when AssignedOnce(local.Local) is { } value:
                    op = value;
                    continue;
                case IInvocationOperation { TargetMethod.Name: "EnterScope" } invocation:
                    return invocation;
            }

            break;
        }

        return null;
    }

    /// <summary>An access path naming the instance an expression denotes ("this", "p:cfid", "p:tcon.Cfids"), or null.</summary>
    public string? PathOf(IOperation? operation)
    {
        if (operation is null)
        {
            return null;
        }

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
            }

            break;
        }

        switch (op)
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
