using LockOrder.Cli.Import;
using Xunit;

namespace LockOrder.Cli.Tests;

/// <summary>Kinds from the header's declarations.</summary>
public class LockDeclarationsTests
{
    private const string Header = """
        struct a {
        	spinlock_t lock;
        	struct mutex m1, m2;
        	struct rw_semaphore sem[2];
        	struct semaphore counting;
        	rwlock_t rw;
        	struct mutex *borrowed;
        	/* struct mutex commented; */
        };
        struct b {
        	struct {
        		struct mutex lock;
        	};
        };
        static inline void f(void)
        {
        	const char *s = "spinlock_t quoted;";
        }
        extern spinlock_t global_lock;
        static DEFINE_MUTEX(defined_mutex);
        """;

    private static KindInference Infer(string row) => LockDeclarations.Find(CSource.Parse(Header)).Infer(row);

    [Theory]
    [InlineData("a->m2", "mutex")]
    [InlineData("a->sem", "rwsem")]
    [InlineData("a->counting", "semaphore")]
    [InlineData("a->rw", "spinlock")]
    [InlineData("a->lock", "spinlock")]
    [InlineData("b->lock", "mutex")]                 // in an anonymous struct inside b: b's
    [InlineData("x.y->m1", "mutex")]                 // no struct y: the member name alone, declared once
    [InlineData("global_lock", "spinlock")]
    [InlineData("defined_mutex", "mutex")]
    public void ADeclaredLock_HasItsKind(string row, string kind)
        => Assert.Equal(kind, Infer(row).Kind);

    [Theory]
    [InlineData("a->borrowed", "the header declares no 'borrowed'")]    // a pointer to a lock is not a lock
    [InlineData("a->commented", "the header declares no 'commented'")]
    [InlineData("quoted", "the header declares no 'quoted'")]
    [InlineData("c->lock", "the header's declarations of 'lock' disagree: spinlock at line 2 in struct a, mutex at line 12 in struct b")]
    public void NoKind_WhenNotDeclaredOrAmbiguous(string row, string why)
    {
        var inferred = Infer(row);

        Assert.Null(inferred.Kind);
        Assert.StartsWith(why, inferred.Explanation, System.StringComparison.Ordinal);
    }
}
