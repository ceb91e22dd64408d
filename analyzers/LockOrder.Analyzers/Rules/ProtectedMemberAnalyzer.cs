using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using LockOrder.Engine;
using LockOrder.Engine.Calls;
using LockOrder.Engine.Flow;
using LockOrder.Engine.Knowledge;
using LockOrder.Engine.Model;
using LockOrder.Engine.Queries;
using LockOrder.Hierarchy;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace LockOrder.Rules;

/// <summary>
/// LOCK006: a member listed in the table's 'protects' read or written without its lock. Exempt: constructors (the
/// object is not shared yet), the lock's 'init' functions, release callbacks (methods passed to a 'frees' or
/// 'invokes' method: the last user of the object), and any method every caller of which holds the lock or is
/// itself exempt (inferred from the call sites in the compilation, so no annotation is needed). The lock is
/// matched by class, not instance.
/// </summary>
// Shipped inside BodyRulesAnalyzer, with the other per-body rules; a complete analyzer of its own for the tests.
#pragma warning disable RS1001 // No [DiagnosticAnalyzer]: the package's driver runs it through BodyRulesAnalyzer.
public sealed class ProtectedMemberAnalyzer : LockRuleAnalyzer
{
    public ProtectedMemberAnalyzer() : base(Descriptors.Unprotected)
    {
    }

    private protected override bool IsEnabled(LockModel model) => model.HasTable && model.Knowledge.HasProtectedMembers;

    private protected override void Analyze(LockModel model, BodyFacts body, Action<Diagnostic> report, CancellationToken cancellationToken)
    {
        foreach (var access in body.Accesses)
        {
            var decl = access.ProtectedBy;
            var owner = body.Owner;
            if (Holds(access.Held, decl) || ExemptItself(model.Knowledge, owner, decl))
            {
                continue;
            }

            var callers = model.Callers();
            if (callers.IsReleaseCallback(owner, cancellationToken))
            {
                continue;
            }

            var offending = new List<(BodyFacts Caller, CallFact Call)>();
            if (RunsUnder(model.Knowledge, owner, decl, callers, new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default), offending, cancellationToken))
            {
                continue;
            }

            offending = offending
                .OrderBy(o => o.Call.Syntax.SyntaxTree.FilePath, StringComparer.Ordinal)
                .ThenBy(o => o.Call.Syntax.SpanStart)
                .ToList();
            string who = offending.Count == 0
                ? ""
                : "; " + Name(owner) + " is called without it from " + string.Join(", ", offending.Take(3).Select(o => Name(o.Caller.Owner) + " (" + Findings.Where(OperationLocations.Of(o.Call.Syntax)) + ")"));
            report(Messages.Unprotected(access.Syntax, access.Member, access.IsWrite, decl, who, offending.Select(o => OperationLocations.Of(o.Call.Syntax))));
        }
    }

    private static bool Holds(ImmutableArray<HeldLock> held, LockDecl decl)
        => held.Any(h => ReferenceEquals(h.Class.Decl, decl));

    private static bool ExemptItself(LockKnowledge knowledge, IMethodSymbol method, LockDecl decl)
        => method.MethodKind is MethodKind.Constructor or MethodKind.StaticConstructor || knowledge.IsInit(method, decl);

    /// <summary>True when every caller holds the lock, or is exempt, or itself runs under it. A method with no
    /// caller (an entry point) does not. Methods on the current path count as running under it (recursion).</summary>
    private static bool RunsUnder(LockKnowledge knowledge, IMethodSymbol method, LockDecl decl, CallersIndex callers, HashSet<IMethodSymbol> visiting, List<(BodyFacts, CallFact)> offending, CancellationToken cancellationToken)
    {
        if (!visiting.Add(method))
        {
            return true;
        }

        var list = callers.CallersOf(method, cancellationToken);
        if (list.Count == 0)
        {
            return false;
        }

        bool all = true;
        foreach (var (caller, call) in list)
        {
            var c = caller.Owner;
            if (Holds(call.Held, decl) || ExemptItself(knowledge, c, decl) || callers.IsReleaseCallback(c, cancellationToken) || RunsUnder(knowledge, c, decl, callers, visiting, new List<(BodyFacts, CallFact)>(), cancellationToken))
            {
                continue;
            }

            all = false;
            offending.Add((caller, call));
        }

        return all;
    }

    private static string Name(IMethodSymbol method) => "'" + Findings.Display(method) + "'";
}
#pragma warning restore RS1001
