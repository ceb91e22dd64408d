using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using LockOrder.Hierarchy;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using V = LockOrder.Tests.Verify<LockOrder.Rules.LockTableAnalyzer>;

namespace LockOrder.Tests;

/// <summary>Malformed lockorder.json files: each yields the right LOCK10x at the right line and column.</summary>
public class LockTableTests
{
    private const string Code = """
        namespace App
        {
            public class Cache { public readonly object Gate = new object(); public void Work() { } }
        }
        """;

    private static DiagnosticResult At(string id, int line, int column, int endLine, int endColumn)
        => V.Diagnostic(id).WithSpan("lockorder.json", line, column, endLine, endColumn);

    private static DiagnosticResult Warn(string id, int line, int column, int endLine, int endColumn, string message)
        => At(id, line, column, endLine, endColumn).WithMessage(message);

    [Fact]
    public Task L100_SyntaxError_MissingComma()
        => V.WithTable(Code, "{\n  \"locks\": [\n    { \"name\": \"a\" \"kind\": \"mutex\" }\n  ]\n}",
            Warn("LOCK100", 3, 19, 3, 20, "lockorder.json cannot be read: ',' or '}' was expected; the declared-order rules are off until it is fixed"));

    [Fact]
    public Task L100_EmptyFile()
        => V.WithTable(Code, "", Warn("LOCK100", 1, 1, 1, 1, "lockorder.json cannot be read: unexpected end of the document; a value was expected; the declared-order rules are off until it is fixed"));

    [Fact]
    public Task L100_RootIsAnArray()
        => V.WithTable(Code, "[ ]", Warn("LOCK100", 1, 1, 1, 4, "lockorder.json cannot be read: the document must be an object with a 'locks' array, not an array; the declared-order rules are off until it is fixed"));

    [Fact]
    public Task L100_UnterminatedString()
        => V.WithTable(Code, "{ \"locks\": [ { \"name\": \"a", Warn("LOCK100", 1, 24, 1, 25, "lockorder.json cannot be read: unterminated string; the declared-order rules are off until it is fixed"));

    [Fact]
    public Task L100_TrailingText()
        => V.WithTable(Code, "{ \"locks\": [] } x", Warn("LOCK100", 1, 17, 1, 18, "lockorder.json cannot be read: unexpected text after the end of the document; the declared-order rules are off until it is fixed"));

    [Fact]
    public Task L100_TooDeep()
        => V.WithTable(Code, "{ \"note\": " + new string('[', 100) + new string(']', 100) + " }", Warn("LOCK100", 1, 75, 1, 76, "lockorder.json cannot be read: nesting deeper than 64 levels; the declared-order rules are off until it is fixed"));

    [Fact]
    public Task L101_LocksMissing()
        => V.WithTable(Code, "{\n  \"blocking\": []\n}",
            Warn("LOCK101", 1, 1, 1, 2, "the required field 'locks' is missing"));

    [Fact]
    public Task L101_LocksNotAnArray()
        => V.WithTable(Code, "{ \"locks\": { } }", Warn("LOCK101", 1, 12, 1, 15, "'locks' must be an array of lock objects, not an object"));

    [Fact]
    public Task L101_UnknownTopLevelField()
        => V.WithTable(Code, "{ \"locks\": [], \"lock\": [] }", Warn("LOCK101", 1, 16, 1, 22, "unknown field 'lock' in the top level; known fields are '$schema', 'locks', 'primitives', 'blocking', 'invokes', 'frees'"));

    [Fact]
    public Task L101_UnknownLockField()
        => V.WithTable(Code, "{ \"locks\": [\n  { \"name\": \"a\", \"kind\": \"mutex\", \"protect\": [] }\n] }",
            Warn("LOCK101", 2, 35, 2, 44, "unknown field 'protect' in row 1; known fields are 'name', 'kind', 'symbol', 'protects', 'init', 'note', 'nestable', 'header'"));

    [Fact]
    public Task L101_HeaderNotAnObject_AndUnknownOrWrongFieldsInIt()
        => V.WithTable(Code, "{ \"locks\": [\n  { \"name\": \"a\", \"kind\": \"mutex\", \"header\": \"text\" },\n  { \"name\": \"b\", \"kind\": \"mutex\", \"header\": { \"protect\": \"x\", \"init\": 1 } }\n] }",
            Warn("LOCK101", 2, 45, 2, 51, "'header' must be an object with the header's 'protects' and 'init' text, not a string"),
            Warn("LOCK101", 3, 47, 3, 56, "unknown field 'protect' in the header of row 2; known fields are 'protects', 'init'"),
            Warn("LOCK101", 3, 71, 3, 72, "'init' must be a string, not a number"));

    [Fact]
    public void Header_IsReadWithTheRow()
    {
        var table = LockTableLoader.Load("{ \"locks\": [ { \"name\": \"a\", \"kind\": \"mutex\", \"header\": { \"protects\": \"a->list\", \"init\": \"\" } }, { \"name\": \"b\", \"kind\": \"mutex\" } ] }");

        Assert.Empty(table.Problems);
        Assert.Equal("a->list", table.Locks[0].Header?.Protects);
        Assert.Equal("", table.Locks[0].Header?.Init);
        Assert.Null(table.Locks[1].Header);
    }

    [Fact]
    public Task L101_UnknownKind()
        => V.WithTable(Code, "{ \"locks\": [\n  { \"name\": \"a\", \"kind\": \"spin\" }\n] }",
            Warn("LOCK101", 2, 26, 2, 32, "unknown kind 'spin' in row 1; use 'spinlock', 'mutex', 'rwsem' or 'semaphore'"));

    [Fact]
    public Task L101_NameOfWrongType()
        => V.WithTable(Code, "{ \"locks\": [ { \"name\": 7, \"kind\": \"mutex\" } ] }",
            Warn("LOCK101", 1, 24, 1, 25, "'name' must be a non-empty string, not a number"));

    [Fact]
    public Task L101_KindMissing()
        => V.WithTable(Code, "{ \"locks\": [ { \"name\": \"a\" } ] }", Warn("LOCK101", 1, 14, 1, 15, "row 1 has no 'kind'"));

    [Fact]
    public Task L101_SymbolArrayHoldsANumber_AndNestableNotBool()
        => V.WithTable(Code, "{ \"locks\": [ { \"name\": \"a\", \"kind\": \"mutex\", \"symbol\": [ 1 ], \"nestable\": \"yes\" } ] }",
            Warn("LOCK101", 1, 58, 1, 59, "'symbol' holds a number where a fully qualified member or type name (a non-empty string) is expected"),
            Warn("LOCK101", 1, 75, 1, 80, "'nestable' must be true or false, not a string"));

    [Fact]
    public Task L101_PrimitiveWithoutRelease()
        => V.WithTable(Code, "{ \"locks\": [], \"primitives\": [ { \"type\": \"App.Cache\", \"kind\": \"spinlock\", \"acquire\": \"Work\" } ] }",
            Warn("LOCK101", 1, 32, 1, 33, "primitive 1 has no 'release'"));

    [Fact]
    public Task L102_DuplicateName()
        => V.WithTable(Code, "{ \"locks\": [\n  { \"name\": \"a\", \"kind\": \"mutex\" },\n  { \"name\": \"a\", \"kind\": \"spinlock\" }\n] }",
            Warn("LOCK102", 3, 13, 3, 16, "the lock 'a' is listed twice (rows 1 and 2); each lock has one place in the order"));

    [Fact]
    public Task L102_SymbolBoundTwice()
        => V.WithTable(Code, "{ \"locks\": [\n  { \"name\": \"a\", \"kind\": \"mutex\", \"symbol\": \"App.Cache.Gate\" },\n  { \"name\": \"b\", \"kind\": \"mutex\", \"symbol\": [ \"App.Cache.Gate\" ] }\n] }",
            Warn("LOCK102", 3, 47, 3, 63, "the symbol 'App.Cache.Gate' is bound twice (rows 1 and 2); a lock object belongs to one row"));

    [Fact]
    public Task L102_DuplicateField()
        => V.WithTable(Code, "{ \"locks\": [ { \"name\": \"a\", \"kind\": \"mutex\", \"kind\": \"spinlock\" } ] }", Warn("LOCK102", 1, 46, 1, 52, "the field 'kind' appears twice in row 1; only the first is used"));

    [Fact]
    public Task L103_MemberMissing_TypeMissing_AndOtherProjectIgnored()
        => V.WithTable(Code, "{ \"locks\": [\n  { \"name\": \"a\", \"kind\": \"mutex\", \"symbol\": [ \"App.Cache.Gaet\", \"App.Cahce.Gate\", \"Other.Project.Type.Gate\", \"App.Cache.Gate\" ] }\n] }",
            Warn("LOCK103", 2, 47, 2, 63, "'a' (row 1): 'App.Cache.Gaet' does not resolve in this compilation ('Gaet' not found); fix or remove the entry"),
            Warn("LOCK103", 2, 65, 2, 81, "'a' (row 1): 'App.Cahce.Gate' does not resolve in this compilation ('Cahce' not found); fix or remove the entry"));

    [Fact]
    public Task L103_PrimitiveAndBlockingEntries()
        => V.WithTable(Code, "{ \"locks\": [],\n  \"primitives\": [ { \"type\": \"App.Cache\", \"kind\": \"spinlock\", \"acquire\": \"Wrok\", \"release\": \"Work\" } ],\n  \"blocking\": [ \"App.Cache.Sleep\", \"App.Cache.Work\" ]\n}",
            Warn("LOCK103", 2, 73, 2, 79, "primitive 'App.Cache': 'App.Cache.Wrok' does not resolve in this compilation ('Wrok' not found); fix or remove the entry"),
            Warn("LOCK103", 3, 17, 3, 34, "blocking: 'App.Cache.Sleep' does not resolve in this compilation ('Sleep' not found); fix or remove the entry"));

    [Fact]
    public Task L104_MutexBelowSpinlock()
        => V.WithTable(Code, "{ \"locks\": [\n  { \"name\": \"s\", \"kind\": \"spinlock\" },\n  { \"name\": \"m\", \"kind\": \"mutex\" }\n] }",
            At("LOCK104", 3, 13, 3, 16).WithSeverity(DiagnosticSeverity.Info)
                .WithMessage("'m' (row 2) is a mutex listed below spinlock 's' (row 1); it can never legally be taken while 's' is held, so this order edge is vacuous"));

    [Fact]
    public Task Clean_CommentsAndValidTable()
        => V.WithTable(Code, """
            // the cache's locks
            {
              "$schema": "./lockorder.schema.json",
              /* one row */
              "locks": [ { "name": "gate", "kind": "mutex", "symbol": "App.Cache.Gate", "protects": [ "App.Cache.Gate" ], "init": "App.Cache.Work", "note": "n", "nestable": false, "header": { "protects": "the cache", "init": "cache_init" } } ],
              "primitives": [],
              "blocking": [ "App.Cache.Work" ]
            }
            """);

    [Fact]
    public void Loader_NeverThrows_OnMutatedInput()
    {
        var original = File.ReadAllText(RepoFile("lockorder.json"));
        const string alphabet = "{}[]\",:\\/*0aZ \n\u0000\uFFFF";
        var random = new Random(20250502);
        for (int i = 0; i < 3000; i++)
        {
            var chars = original.ToCharArray();
            int edits = 1 + random.Next(8);
            for (int e = 0; e < edits; e++)
            {
                chars[random.Next(chars.Length)] = alphabet[random.Next(alphabet.Length)];
            }

            var cut = new string(chars, 0, random.Next(chars.Length + 1));
            var table = LockTableLoader.Load(cut);
            Assert.True(table.IsUsable || table.Problems.Any(p => p.Rule.Id is "LOCK100" or "LOCK101"));
        }
    }

    [Fact]
    public void RepositoryTable_HasTheCifsTableRowsInOrder()
    {
        var table = LockTableLoader.Load(File.ReadAllText(RepoFile("lockorder.json")));
        string[] expected =
        {
            "vol_list_lock", "vol_info->ctx_lock", "cifs_sb_info->tlink_tree_lock", "TCP_Server_Info->reconnect_mutex",
            "TCP_Server_Info->srv_mutex", "cifs_ses->session_mutex", "cached_fid->cfid_mutex", "cifs_tcon->open_file_lock",
            "cifs_tcon->stat_lock", "cifs_tcp_ses_lock", "GlobalMid_Lock", "TCP_Server_Info->srv_lock", "TCP_Server_Info->mid_lock",
            "TCP_Server_Info->req_lock", "cifs_ses->ses_lock", "cifs_ses->iface_lock", "cifs_ses->chan_lock", "cifs_tcon->tc_lock",
            "inode->i_rwsem", "cifsInodeInfo->open_file_lock", "cifsInodeInfo->writers_lock", "cifsInodeInfo->lock_sem",
            "cifsInodeInfo->deferred_lock", "cached_fids->cfid_list_lock", "cached_fid->fid_lock", "cifsFileInfo->fh_mutex",
            "cifsFileInfo->file_info_lock",
        };
        Assert.Equal(expected, table.Locks.Select(l => l.Name));
        Assert.Equal(Enumerable.Range(1, 27), table.Locks.Select(l => l.Row));
        Assert.Equal(new[] { 4, 5, 6, 7, 19, 22, 26 }, table.Locks.Where(l => l.Kind != LockKind.Spinlock).Select(l => l.Row));

        // The table's own vacuous edges: every sleeping lock listed below a spinlock (rows 1-3 sit above the mutexes).
        Assert.Equal(new[] { 4, 5, 6, 7, 19, 22, 26 }, table.Problems.Where(p => p.Rule.Id == "LOCK104").Select(p => (int)p.Args[1]));
        Assert.Empty(table.Problems.Where(p => p.Rule.Id != "LOCK104"));

        // Every row carries the kernel header's own columns (lockorder import's 'header').
        Assert.All(table.Locks, l => Assert.NotNull(l.Header?.Protects));
        Assert.Equal("->count, ->invalidHandle, ->oplock_break_cancelled", table.Locks[26].Header!.Protects);
        Assert.Equal("cifs_new_fileinfo, initiate_cifs_search", table.Locks[26].Header!.Init);
    }

    internal static string RepoFile(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "LockOrder.sln")))
            {
                return Path.Combine(dir.FullName, relative);
            }
        }

        throw new InvalidOperationException("repository root not found from " + AppContext.BaseDirectory);
    }
}
