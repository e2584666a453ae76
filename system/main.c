// SPDX-License-Identifier: GPL-2.0-only
/* Placeholder until the real entry point lands. */
int main(void)
{
    return 1;
}
