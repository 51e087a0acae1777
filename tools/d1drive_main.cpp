// d1drive: placeholder main until the daemon lands.
int main() { return 0; }
