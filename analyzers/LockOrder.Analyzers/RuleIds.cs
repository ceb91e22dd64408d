namespace LockOrder;

/// <summary>Every rule id LockOrder reports, in one place.</summary>
internal static class RuleIds
{
    public const string OutOfOrder = "LOCK001";
    public const string SleepInAtomic = "LOCK002";
    public const string SelfDeadlock = "LOCK003";
    public const string Unbalanced = "LOCK004";
    public const string NotInTable = "LOCK005";
    public const string Unprotected = "LOCK006";
    public const string AwaitUnderLock = "LOCK007";
    public const string OrderCycle = "LOCK008";
    public const string WaitUnderSleepingLock = "LOCK009";
    public const string HeldWhileFreed = "LOCK010";
    public const string NotAnalysed = "LOCK011";

    public const string TableUnreadable = "LOCK100";
    public const string TableInvalidField = "LOCK101";
    public const string TableDuplicate = "LOCK102";
    public const string TableUnresolved = "LOCK103";
    public const string TableVacuousOrder = "LOCK104";
    public const string NoTable = "LOCK105";
    public const string InvalidOption = "LOCK106";
}
