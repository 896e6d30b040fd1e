/* main.c: kcwatchd entry point (placeholder). */
int main(void)
{
	return 0;
}
