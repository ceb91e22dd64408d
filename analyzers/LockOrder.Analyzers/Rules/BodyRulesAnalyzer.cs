using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace LockOrder.Rules;

/// <summary>
/// The per-body rules, as the package ships them: one analyzer that registers one code-block action and gives each
/// body's facts to every rule (<see cref="LockRuleAnalyzer.Register"/>), instead of one analyzer per rule.
/// <para>
/// Why: the analyzer driver pays for every code block once per analyzer that has a code-block action, whatever the
/// action does. Measured in process on the generated 100k-line library (CPU time of a full analysis, medians of
/// alternating rounds, two runs): one analyzer that does nothing added 1.1 to 1.4 s to the compiler's 3.8 to 4.1 s,
/// and twelve more that do nothing another 0.3 to 1.3 s. Eleven rules in one analyzer pay that once. Each rule stays a small sealed class in its own file and
/// a complete analyzer of its own, which is how the tests run it; what is reported is the same (a test compares).
/// </para>
/// The whole-compilation cycle rule (LOCK008, reported at compilation end, so not live in the IDE) and the rules on
/// the table file and the options stay analyzers of their own.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class BodyRulesAnalyzer : DiagnosticAnalyzer
{
    /// <summary>The rules run per body, in rule-id order.</summary>
    internal static readonly ImmutableArray<LockRuleAnalyzer> Rules = ImmutableArray.Create<LockRuleAnalyzer>(
        new DeclaredOrderAnalyzer(),
        new SleepInAtomicAnalyzer(),
        new SelfDeadlockAnalyzer(),
        new UnbalancedLockingAnalyzer(),
        new UnlistedLockAnalyzer(),
        new ProtectedMemberAnalyzer(),
        new AwaitUnderLockAnalyzer(),
        new WaitUnderSleepingLockAnalyzer(),
        new HeldWhileFreedAnalyzer(),
        new NotAnalysedAnalyzer(),
        new MissingTableAnalyzer());

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = Rules.SelectMany(r => r.SupportedDiagnostics).ToImmutableArray();

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(LockRuleAnalyzer.PerBodyGeneratedCode); // see there
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start => LockRuleAnalyzer.Register(start, Rules));
    }
}
