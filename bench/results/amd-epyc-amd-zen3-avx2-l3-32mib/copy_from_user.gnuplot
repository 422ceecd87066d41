set terminal pngcairo size 1280,720 noenhanced font ',11'
set output 'copy_from_user.png'
set title 'CopyFromUser beside glibc memcpy, a sigsetjmp guard and process_vm_readv (AMD EPYC, AMD_ZEN3)'
set logscale x 2
set xtics ("1 B" 1, "16 B" 16, "256 B" 256, "4 KiB" 4096, "64 KiB" 65536, "1 MiB" 1048576, "16 MiB" 16777216, "256 MiB" 268435456)
set xlabel 'length (bytes, log scale)'
set ylabel 'GB/s (bytes copied per second)'
set key outside right
set grid
set datafile missing '?'
plot 'copy_from_user.dat' using 1:2 with linespoints title 'auto', 'copy_from_user.dat' using 1:3 with linespoints title 'avx2', 'copy_from_user.dat' using 1:4 with linespoints title 'erms', 'copy_from_user.dat' using 1:5 with linespoints title 'sse2', 'copy_from_user.dat' using 1:6 with linespoints title 'memcpy', 'copy_from_user.dat' using 1:7 with linespoints title 'sigsetjmp1', 'copy_from_user.dat' using 1:8 with linespoints title 'process_vm_readv'
