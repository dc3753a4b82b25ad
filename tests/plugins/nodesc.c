/* SPDX-License-Identifier: Apache-2.0 */
/* A shared object without the descriptor symbol. */
int not_a_meterbox_plugin(void);

__attribute__((visibility("default"))) int not_a_meterbox_plugin(void)
{
        return 42;
}
