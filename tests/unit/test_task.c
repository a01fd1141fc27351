/* Unit tests of the task list: stable unique ids, d-major order, cyclic ownership. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "spec/task.h"

static void test_ids_stable_and_unique(void **st)
{
    (void)st;
    long d[3] = {100, 200, 400};
    task_list a, b;
    task_list_make(&a, d, 3, 5);
    task_list_make(&b, d + 1, 1, 5); /* the d = 200 tasks alone */
    assert_int_equal(a.n, 15);
    for (int k = 0; k < 5; k++)
        assert_int_equal(a.t[5 + k].id, b.t[k].id);
    for (int i = 0; i < a.n; i++)
        for (int j = i + 1; j < a.n; j++)
            assert_true(a.t[i].id != a.t[j].id);
    assert_int_equal(a.t[7].d, 200);
    assert_int_equal(a.t[7].replica, 2);
    assert_true(task_id(TASK_MAX_D, TASK_MAX_REPLICAS - 1, 0) == 0xffffffffu);
    assert_true(task_id(3, 1, 2) == 1 + 4096 * 3 + (2ULL << 32));
    task_list_free(&a);
    task_list_free(&b);
}

static void test_ownership_partitions(void **st)
{
    (void)st;
    for (int n = 0; n < 20; n++) {
        for (int size = 1; size <= 6; size++) {
            int total = 0;
            for (int r = 0; r < size; r++) {
                int c = task_count_owned(n, r, size);
                for (int i = 0; i < c; i++)
                    assert_int_equal(task_owner(r + i * size, size), r);
                assert_true(r + c * size >= n);
                total += c;
            }
            assert_int_equal(total, n);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ids_stable_and_unique),
        cmocka_unit_test(test_ownership_partitions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
