using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using LockOrder.Engine;
using LockOrder.Hierarchy;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace LockOrder.Rules;

/// <summary>
/// LOCK006: a member listed in the table's 'protects' read or written without its lock. Exempt: constructors
/// (the object is not shared yet), the lock's 'init' functions, release callbacks (methods passed to a
/// 'frees' or 'invokes' method: the last user of the object), and any method every caller of which holds the
/// lock or is itself exempt (inferred from the call sites in the compilation, so no annotation is needed).
/// The lock is matched by class, not instance.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ProtectedMemberAnalyzer : LockRuleAnalyzer
{
    public ProtectedMemberAnalyzer() : base(Descriptors.Unprotected)
    {
    }

    private protected override bool IsEnabled(LockModel model) => model.HasTable && model.Table.ProtectedBy.Count > 0;

    private protected override void Analyze(LockModel model, BodyFacts body, Action<Diagnostic> report, CancellationToken cancellationToken)
    {
        foreach (var access in body.Accesses)
        {
            var decl = access.ProtectedBy;
            if (Holds(access.Held, decl) || !(body.Owner is IMethodSymbol owner) || ExemptItself(owner, decl))
            {
                continue;
            }

            var callers = model.Callers(cancellationToken);
            if (callers.IsReleaseCallback(owner))
            {
                continue;
            }

            var offending = new List<(BodyFacts Caller, CallFact Call)>();
            if (RunsUnder(owner, decl, callers, new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default), offending))
            {
                continue;
            }

            offending = offending
                .OrderBy(o => o.Call.Operation.Syntax.SyntaxTree.FilePath, StringComparer.Ordinal)
                .ThenBy(o => o.Call.Operation.Syntax.SpanStart)
                .ToList();
            string who = offending.Count == 0
                ? ""
                : "; " + Name(owner) + " is called without it from " + string.Join(", ", offending.Take(3).Select(o => Name(o.Caller.Owner) + " (" + Where(o.Call.Operation) + ")"));
            report(Diagnostic.Create(Rule, OperationLocations.Of(access.Operation), offending.Select(o => OperationLocations.Of(o.Call.Operation)),
                SymbolNames.Qualified(access.Member.OriginalDefinition), access.IsWrite ? "written" : "read", decl.Display, who));
        }
    }

    private static bool Holds(System.Collections.Immutable.ImmutableArray<HeldLock> held, LockDecl decl)
        => held.Any(h => ReferenceEquals(h.Class.Decl, decl));

    private static bool ExemptItself(IMethodSymbol method, LockDecl decl)
        => method.MethodKind is MethodKind.Constructor or MethodKind.StaticConstructor
           || decl.Init.Any(i => i.Value == SymbolNames.Member(method.OriginalDefinition));

    /// <summary>True when every caller holds the lock, or is exempt, or itself runs under it. A method with no
    /// caller (an entry point) does not. Methods on the current path count as running under it (recursion).</summary>
    private static bool RunsUnder(IMethodSymbol method, LockDecl decl, CallersIndex callers, HashSet<IMethodSymbol> visiting, List<(BodyFacts, CallFact)> offending)
    {
        if (!visiting.Add(method))
        {
            return true;
        }

        var list = callers.CallersOf(method);
        if (list.Count == 0)
        {
            return false;
        }

        bool all = true;
        foreach (var (caller, call) in list)
        {
            if (Holds(call.Held, decl) || caller.Owner is IMethodSymbol c && (ExemptItself(c, decl) || callers.IsReleaseCallback(c) || RunsUnder(c, decl, callers, visiting, new List<(BodyFacts, CallFact)>())))
            {
                continue;
            }

            all = false;
            offending.Add((caller, call));
        }

        return all;
    }

    private static string Name(ISymbol symbol) => symbol is IMethodSymbol m ? "'" + SummaryStore.Display(m) + "'" : "'" + symbol.Name + "'";

    private static string Where(IOperation operation)
    {
        var span = OperationLocations.Of(operation).GetLineSpan();
        return System.IO.Path.GetFileName(span.Path) + "(" + (span.StartLinePosition.Line + 1) + ")";
    }
}
